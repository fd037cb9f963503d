// Opens the upgraded exec connection (see api/routes-exec.ts): the same server, token and trust
// as every other command, then a raw socket carrying exec frames.
import type { Duplex } from 'node:stream';
import { EXEC_PROTOCOL } from '../exec/exec-frames.ts';
import type { ResolvedClientConfig } from '../client-config/index.ts';
import { errorFromResponse, UnreachableError } from './http-client.ts';
import { assertSafeServer, trustFailure } from './server-trust.ts';

export async function openExecConnection(cfg: Pick<ResolvedClientConfig, 'server' | 'token' | 'ca'>, path: string): Promise<Duplex> {
  const url = new URL(path, cfg.server.endsWith('/') ? cfg.server : `${cfg.server}/`);
  assertSafeServer(url.href);
  const headers: Record<string, string> = { connection: 'Upgrade', upgrade: EXEC_PROTOCOL, 'content-length': '0' };
  if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
  const req =
    url.protocol === 'https:'
      ? process.getBuiltinModule('node:https').request(url, { method: 'POST', headers, ...(cfg.ca ? { ca: cfg.ca } : {}), agent: false })
      : process.getBuiltinModule('node:http').request(url, { method: 'POST', headers, agent: false });
  return new Promise<Duplex>((resolve, reject) => {
    req.on('upgrade', (_res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        let data: unknown;
        try {
          data = JSON.parse(Buffer.concat(parts).toString());
        } catch {
          data = undefined;
        }
        reject(errorFromResponse(res.statusCode ?? 0, res.statusMessage ?? '', data));
      });
    });
    req.on('error', (err) =>
      reject(trustFailure(cfg.server, err, cfg.ca) ?? new UnreachableError(`cannot reach the Berth server at ${cfg.server}: ${err.message}`)),
    );
    req.end();
  });
}
