import { isIPv4 } from 'node:net';
import { BerthError } from '../errors/index.ts';

/** One public endpoint: publicAddress:natPort on the management node -> nodeAddress:nodePort. */
export interface NatEndpoint {
  /** `${reservationId}/${portName}` */
  key: string;
  publicAddress: string;
  natPort: number;
  nodeAddress: string;
  nodePort: number;
}

// The key ends up inside an iptables comment (max 256 bytes) and a restore file, so it is
// restricted to characters that need no quoting beyond a plain pair of double quotes.
const KEY_PATTERN = /^[A-Za-z0-9._:@/-]{1,200}$/;

export function isLoopback(address: string): boolean {
  return address.startsWith('127.');
}

/** Throws BerthError('Invalid') on the first bad endpoint or on two endpoints sharing a key or a public address:port. */
export function validateEndpoints(endpoints: readonly NatEndpoint[]): void {
  const keys = new Set<string>();
  const listens = new Set<string>();
  endpoints.forEach((e, i) => {
    const at = `endpoints[${i}]`;
    if (typeof e.key !== 'string' || !KEY_PATTERN.test(e.key)) {
      throw new BerthError('Invalid', `endpoint key must match ${KEY_PATTERN}`, `${at}.key`);
    }
    checkAddress(e.publicAddress, `${at}.publicAddress`);
    checkAddress(e.nodeAddress, `${at}.nodeAddress`);
    checkPort(e.natPort, `${at}.natPort`);
    checkPort(e.nodePort, `${at}.nodePort`);
    if (keys.has(e.key)) throw new BerthError('Invalid', `duplicate endpoint key ${e.key}`, `${at}.key`);
    const listen = `${e.publicAddress}:${e.natPort}`;
    if (listens.has(listen)) throw new BerthError('Invalid', `duplicate public endpoint ${listen}`, `${at}.natPort`);
    keys.add(e.key);
    listens.add(listen);
  });
}

function checkAddress(value: unknown, field: string): void {
  if (typeof value !== 'string' || !isIPv4(value) || value === '0.0.0.0') {
    throw new BerthError('Invalid', 'expected a unicast IPv4 address', field);
  }
}

function checkPort(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new BerthError('Invalid', 'expected a port in 1..65535', field);
  }
}

/** Numeric IPv4 compare, so 10.0.0.9 sorts before 10.0.0.10. */
export function compareAddress(a: string, b: string): number {
  return toNumber(a) - toNumber(b);
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
