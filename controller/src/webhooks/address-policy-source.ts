// The address policy in force: the operator's allowed networks, the nodes' addresses (from the
// store, re-read at most every 30 s) and the controller's own interface and public addresses.
import { networkInterfaces } from 'node:os';
import type { PrismaClient as Db } from '../store/index.ts';
import { addressJudge } from './address-guard.ts';

const REFRESH_MS = 30_000;

export function addressJudgeSource(db: Db, opts: { allow: readonly string[]; publicAddress: string; now: () => number }) {
  let cached: { at: number; judge: (ip: string) => string | undefined } | undefined;
  return async (): Promise<(ip: string) => string | undefined> => {
    const now = opts.now();
    if (cached && now - cached.at < REFRESH_MS) return cached.judge;
    const nodes = (await db.node.findMany({ select: { address: true } })).map((n) => n.address);
    const own = [opts.publicAddress, ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.replace(/%.*$/, '')))];
    cached = { at: now, judge: addressJudge({ allow: opts.allow, nodes, own }) };
    return cached.judge;
  };
}
