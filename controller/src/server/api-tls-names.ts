// The names a certificate from Berth's CA is issued for: every address a client may use to reach
// the API. Bound to all interfaces, that is each interface address (as kube-apiserver does).
import { isIP } from 'node:net';
import { isHostName } from '../pki/index.ts';

export interface NameSources {
  host: string;
  publicAddress: string;
  extraNames: string[];
  hostname: string;
  /** os.networkInterfaces() addresses, used when host is a wildcard. */
  interfaceAddresses: string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function serverCertificateNames(s: NameSources): { dnsNames: string[]; ipAddresses: string[] } {
  const candidates = ['localhost', s.hostname, '127.0.0.1', s.publicAddress, ...s.extraNames, ...(WILDCARDS.has(s.host) ? s.interfaceAddresses : [s.host])];
  const dnsNames = new Set<string>();
  const ipAddresses = new Set<string>();
  for (const c of candidates) {
    if (isIP(c)) ipAddresses.add(c.replace(/%.*$/, ''));
    else if (isHostName(c)) dnsNames.add(c.toLowerCase());
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}
