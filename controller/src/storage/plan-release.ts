// Pure: which ended remote-profile reservations may have their storage-node directory deleted.

export interface EndedReservation {
  id: string;
  profile: string;
  /** Node it last ran on (null if it never got one). */
  nodeId: string | null;
  /** Set once the directory is gone: the release happens exactly once. */
  storageReleasedAt?: string;
}

export interface NodeView {
  connected: (nodeId: string) => boolean;
  /** The node's last report, or undefined if it has not reported since it (re)connected. */
  observed: (nodeId: string) => ReadonlyMap<string, unknown> | undefined;
  connectedNodeIds: () => string[];
}

/**
 * An ended reservation's data goes once no connected node reports a container of it, and its own
 * node (if connected) has reported since; a lost node cannot hold anyone's data hostage.
 */
export function planRemoteReleases(ended: EndedReservation[], nodes: NodeView): string[] {
  const release: string[] = [];
  for (const r of ended) {
    if (r.profile !== 'remote' || r.storageReleasedAt) continue;
    if (r.nodeId && nodes.connected(r.nodeId) && nodes.observed(r.nodeId) === undefined) continue;
    if (nodes.connectedNodeIds().some((n) => nodes.observed(n)?.has(r.id))) continue;
    release.push(r.id);
  }
  return release;
}
