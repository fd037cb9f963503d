// How the REST API and dashboard are served. HTTPS always, with a certificate from Berth's own CA
// (`auto`, the default) or the operator's files; plain HTTP (`off`) only on a loopback address,
// where nothing on the network can read tokens and passwords. A mistake is an error naming the
// setting, never a quiet fall-back to HTTP.
import { isIP } from 'node:net';
import { BerthError } from '../errors/index.ts';
import { isHostName } from '../pki/index.ts';

export type ApiTlsSettings = { mode: 'off' } | { mode: 'ca'; extraNames: string[] } | { mode: 'files'; certFile: string; keyFile: string };

export interface ApiTlsInput {
  tls?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Comma-separated host names or addresses to add to the certificate from Berth's CA. */
  tlsSan?: string;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function resolveApiTls(input: ApiTlsInput, host: string): ApiTlsSettings {
  const mode = input.tls ?? 'auto';
  if (mode !== 'auto' && mode !== 'off') throw new BerthError('Invalid', `tls: must be auto or off, got "${mode}"`, 'tls');
  const san = (input.tlsSan ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of san) {
    if (!isIP(name) && !isHostName(name)) throw new BerthError('Invalid', `tls-san: "${name}" is not a host name or IP address`, 'tlsSan');
  }
  if ((input.tlsCert === undefined) !== (input.tlsKey === undefined)) {
    const missing = input.tlsCert === undefined ? 'tls-cert' : 'tls-key';
    throw new BerthError('Invalid', `${missing}: --tls-cert and --tls-key go together; ${missing} is missing`, missing === 'tls-cert' ? 'tlsCert' : 'tlsKey');
  }
  if (mode === 'off') {
    if (input.tlsCert !== undefined) throw new BerthError('Invalid', 'tls: "off" contradicts --tls-cert/--tls-key', 'tls');
    assertApiTlsAllowed({ mode: 'off' }, host);
    return { mode: 'off' };
  }
  if (input.tlsCert !== undefined && input.tlsKey !== undefined) {
    if (san.length) throw new BerthError('Invalid', 'tls-san: names come from your own certificate when --tls-cert is given', 'tlsSan');
    return { mode: 'files', certFile: input.tlsCert, keyFile: input.tlsKey };
  }
  return { mode: 'ca', extraNames: san };
}

/** Plain HTTP on anything but loopback is refused, however the controller was configured. */
export function assertApiTlsAllowed(settings: ApiTlsSettings, host: string): void {
  if (settings.mode !== 'off' || isLoopbackHost(host)) return;
  throw new BerthError(
    'Invalid',
    `tls: plain HTTP ("off") is only allowed on a loopback --host (127.0.0.1, ::1 or localhost), not "${host}": tokens and passwords would cross the network in clear; leave tls at auto (a certificate from Berth's CA) or give --tls-cert and --tls-key`,
    'tls',
  );
}
