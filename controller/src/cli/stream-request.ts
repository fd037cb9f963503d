// Long-lived GETs for the CLI (watch, logs -f): the response body is read as it arrives.
import type { Command } from 'commander';
import { type ClientFlags, resolveClientConfig } from '../client-config/index.ts';
import type { CliDeps } from './deps.ts';
import { errorFromResponse, UnreachableError } from './http-client.ts';
import { assertSafeServer, trustFailure } from './server-trust.ts';
import type { HttpResponse } from './node-request.ts';

/**
 * Opens `path` on the configured server, calls onOpen once it has answered with success, then
 * onText for each piece of the body.
 */
export async function streamGet(cmd: Command, deps: CliDeps, path: string, onText: (text: string) => void, onOpen?: () => void): Promise<void> {
  const flags = cmd.optsWithGlobals<ClientFlags>();
  const cfg = resolveClientConfig({ flags, env: deps.env });
  const url = new URL(path, cfg.server.endsWith('/') ? cfg.server : `${cfg.server}/`);
  assertSafeServer(url.href);
  const headers: Record<string, string> = {};
  if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
  let res: HttpResponse;
  try {
    res = await deps.fetch(url, { headers, ca: cfg.ca });
  } catch (err) {
    throw trustFailure(cfg.server, err, cfg.ca) ?? new UnreachableError(`cannot reach the Berth server at ${cfg.server}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    throw errorFromResponse(res.status, res.statusText, data);
  }
  onOpen?.();
  const decoder = new TextDecoder();
  for await (const chunk of res.body ?? []) onText(decoder.decode(chunk, { stream: true }));
  const rest = decoder.decode();
  if (rest) onText(rest);
}

/** Splits streamed text into complete lines. */
export function lineSplitter(onLine: (line: string) => void): (text: string) => void {
  let buf = '';
  return (text) => {
    buf += text;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) if (p.trim()) onLine(p);
  };
}
