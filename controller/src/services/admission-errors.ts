// How a refused admission reads for whoever asked. Admission (admission.ts) names every node and
// why it was refused; an admin needs that, but a customer would learn the cluster's node names,
// sizes and what the other tenants hold. A customer gets the window and a count per reason.
import type { User } from '../store/generated/postgresql/client.ts';
import { BerthError } from '../errors/index.ts';

interface Rejection {
  node: string;
  reason: string;
}

// The scheduler's reasons (scheduler/feasibility.ts), grouped; [singular, plural].
const CATEGORIES: Array<[RegExp, string, string]> = [
  [/^memory:/, 'lacks memory in the window', 'lack memory in the window'],
  [/^cores:/, 'lacks cores in the window', 'lack cores in the window'],
  [/^needs .* node has/, 'is too small', 'are too small'],
  [/cordoned/, 'is cordoned', 'are cordoned'],
  [/NotReady/, 'is not ready', 'are not ready'],
];

/** "3 lack memory in the window, 1 is cordoned": counts per reason, largest first. */
export function summarizeRejections(rejections: readonly Rejection[]): Array<{ reason: string; nodes: number }> {
  const counts = new Map<number, number>();
  for (const r of rejections) {
    const i = CATEGORIES.findIndex(([re]) => re.test(r.reason));
    const key = i === -1 ? CATEGORIES.length : i;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([i, n]) => {
      const [, one, many] = CATEGORIES[i] ?? [undefined, 'cannot take it', 'cannot take it'];
      return { reason: n === 1 ? one : many, nodes: n };
    });
}

/**
 * The error as the user may see it: unchanged for an admin and for anything but NoResources;
 * for anyone else the per-node part of the message and details becomes a summary.
 */
export function admissionErrorFor(err: BerthError, user: Pick<User, 'role'> | null | undefined): BerthError {
  if (err.code !== 'NoResources' || user?.role === 'admin') return err;
  const details = (err.details ?? {}) as { window?: unknown; rejections?: Rejection[]; counterOffers?: unknown };
  const rejections = Array.isArray(details.rejections) ? details.rejections : [];
  if (rejections.length === 0) return err; // no node named: public ports short, or no nodes at all
  // The per-node reasons are the message's trailing " (node: reason; ...)"; node names have no "(".
  const cut = err.message.indexOf(' (');
  const head = cut === -1 ? err.message : err.message.slice(0, cut);
  const summary = summarizeRejections(rejections);
  const text = summary.map((s) => `${s.nodes} ${s.reason}`).join(', ');
  // Counter-offers name no node: a customer gets them as they are.
  const offers = details.counterOffers ? { counterOffers: details.counterOffers } : {};
  return new BerthError(err.code, `${head}: no node has room (${text})`, err.field, { window: details.window, summary, ...offers });
}
