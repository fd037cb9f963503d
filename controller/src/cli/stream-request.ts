// Long-lived GETs for the CLI (watch, logs -f): the response body is read as it arrives.
import type { Command } from 'commander';
import { type ClientFlags, resolveClientConfig } from '../client-config/index.ts';
import type { CliDeps } from './deps.ts';
import { errorFromResponse, UnreachableError } from './http-client.ts';
import { assertSafeServer, trustFailure, trustOptions } from './server-trust.ts';

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
  let res: Response;
  try {
    res = await deps.fetch(url, { headers, ...(await trustOptions(cfg.ca)) } as RequestInit);
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
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(value);
  }
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
