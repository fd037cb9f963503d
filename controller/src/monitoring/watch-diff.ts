// Pure: Kubernetes-style watch events between two snapshots of a list.
export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T> {
  type: WatchType;
  object: T;
}

/** Events that turn `prev` into `next`, keyed by `keyOf`; unchanged objects produce nothing. */
export function diffSnapshots<T>(
  prev: ReadonlyMap<string, string>,
  prevObjects: ReadonlyMap<string, T>,
  next: T[],
  keyOf: (o: T) => string,
): { events: WatchEvent<T>[]; snapshot: Map<string, string>; objects: Map<string, T> } {
  const snapshot = new Map<string, string>();
  const objects = new Map<string, T>();
  const events: WatchEvent<T>[] = [];
  for (const o of next) {
    const k = keyOf(o);
    const text = JSON.stringify(o);
    snapshot.set(k, text);
    objects.set(k, o);
    const before = prev.get(k);
    if (before === undefined) events.push({ type: 'ADDED', object: o });
    else if (before !== text) events.push({ type: 'MODIFIED', object: o });
  }
  for (const [k, o] of prevObjects) if (!snapshot.has(k)) events.push({ type: 'DELETED', object: o });
  return { events, snapshot, objects };
}
