// Which device the kernel routes an IPv4 address through, read from /proc/net/route (the main
// table) instead of a process per address: at 1,000 nodes `ip route get` was a fork of the whole
// controller per new node address. Addresses of this host go through `lo`, as `ip route get`
// says; an address the main table cannot place is left to the caller (policy routing, no route).
import { isIPv4 } from 'node:net';

export interface Route {
  dev: string;
  /** Network and mask as 32-bit numbers (host order). */
  dest: number;
  mask: number;
  /** Bits set in the mask: a longer prefix is a more specific route. */
  prefix: number;
  metric: number;
}

/** Parses /proc/net/route (little-endian hex fields). Only usable (U flag) routes are kept. */
export function parseProcRoutes(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3], 16);
    if (!(flags & 0x1)) continue;
    const mask = fromLittleEndianHex(f[7]);
    routes.push({ dev: f[0], dest: fromLittleEndianHex(f[1]), mask, prefix: bits(mask), metric: Number(f[6]) });
  }
  return routes;
}

/** The device for `address`: `lo` for this host's own addresses, else the longest matching prefix. */
export function routeDevice(address: string, routes: Route[], localAddresses: ReadonlySet<string>): string | undefined {
  if (!isIPv4(address)) return undefined;
  if (localAddresses.has(address)) return 'lo';
  const ip = toNumber(address);
  let best: Route | undefined;
  for (const r of routes) {
    if ((ip & r.mask) >>> 0 !== r.dest) continue;
    if (!best || r.prefix > best.prefix || (r.prefix === best.prefix && r.metric < best.metric)) best = r;
  }
  return best?.dev;
}

function fromLittleEndianHex(hex: string): number {
  const n = parseInt(hex, 16);
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | ((n >>> 24) & 0xff)) >>> 0;
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

function bits(mask: number): number {
  let n = 0;
  for (let m = mask; m; m = (m << 1) >>> 0) n++;
  return n;
}
