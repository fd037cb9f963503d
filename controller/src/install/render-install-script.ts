// Pure filling of agent-install.sh's @@NAME@@ placeholders. Every value lands inside single quotes
// in the script, so a value holding a quote (or anything a shell would read differently) is refused
// here rather than escaped: none of the legitimate values can hold one.
import { BerthError } from '../errors/index.ts';

export interface InstallScriptValues {
  version: string;
  /** Where the node fetched the script from, e.g. https://10.0.0.1:7070 (scheme, host, port). */
  apiUrl: string;
  /** The host in apiUrl: the agent reaches the controller's agent endpoint there. */
  controllerHost: string;
  grpcPort: number;
  /** SHA-256 of the agent-stream certificate, hex: the K10<fingerprint>:: of join tokens. */
  fingerprint: string;
  bundleSha256: string;
  /** PEM of the CA the API's certificate chains to; empty for plain HTTP or a public CA. */
  caPem: string;
}

const SAFE: Record<keyof InstallScriptValues, RegExp> = {
  version: /^[0-9A-Za-z.+-]{1,64}$/,
  apiUrl: /^https?:\/\/([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?$/,
  controllerHost: /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])$/,
  grpcPort: /^\d{1,5}$/,
  fingerprint: /^[0-9a-f]{64}$/,
  bundleSha256: /^[0-9a-f]{64}$/,
  caPem: /^(|-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?)$/,
};

const PLACEHOLDER: Record<keyof InstallScriptValues, string> = {
  version: 'VERSION',
  apiUrl: 'API_URL',
  controllerHost: 'CONTROLLER_HOST',
  grpcPort: 'GRPC_PORT',
  fingerprint: 'FINGERPRINT',
  bundleSha256: 'BUNDLE_SHA256',
  caPem: 'CA_PEM',
};

export function renderInstallScript(template: string, values: InstallScriptValues): string {
  let script = template;
  for (const key of Object.keys(PLACEHOLDER) as Array<keyof InstallScriptValues>) {
    const value = String(values[key]).replace(/\r\n/g, '\n').trim();
    if (!SAFE[key].test(value)) throw new BerthError('Invalid', `install script: unsafe ${key} ${JSON.stringify(value.slice(0, 80))}`, key);
    script = script.split(`@@${PLACEHOLDER[key]}@@`).join(value);
  }
  const left = /@@[A-Z_]+@@/.exec(script);
  if (left) throw new Error(`install script template: placeholder ${left[0]} has no value`);
  return script;
}

/** scheme://host[:port] of a request, refused when the Host header is not a plain host and port. */
export function requestOrigin(protocol: string, hostHeader: string | undefined): { apiUrl: string; host: string } {
  const m = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/.exec(hostHeader ?? '');
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new BerthError('Invalid', 'Host header: expected HOST or HOST:PORT (the address the node uses to reach this controller)', 'Host');
  }
  return { apiUrl: `${protocol === 'https' ? 'https' : 'http'}://${hostHeader}`, host: m[1] };
}
