// A Node's Ready condition, read from its stored status: the one parser admission, metrics, the
// API and the reconcilers share.
import type { Condition } from './conditions.ts';

/** The Ready condition in a node's stored status (any shape; missing parts read as none). */
export function readyCondition(status: unknown): Condition | undefined {
  const conditions = ((status ?? {}) as { conditions?: Condition[] }).conditions;
  return Array.isArray(conditions) ? conditions.find((c) => c?.type === 'Ready') : undefined;
}

export function isNodeReady(status: unknown): boolean {
  return readyCondition(status)?.status === 'True';
}
