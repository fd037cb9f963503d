// Pure: which storage-node accounts, keys and directory grants must change so that each compute
// node reaches exactly the remote-profile directories of the reservations placed on it.
import { storageAccount } from './storage-account.ts';

export interface NodeAccess {
  id: string;
  name: string;
  /** The key the agent sent on register (null: none yet). */
  storagePublicKey: string | null;
  /** The key last installed on the storage node for the node's account. */
  storageKeyInstalled: string | null;
}

export interface ReservationAccess {
  id: string;
  profile: string;
  /** Where it is placed now (null: nowhere). */
  nodeId: string | null;
  /** Whose account owns its directory, as last applied (null: nobody's). */
  storageGrantNodeId: string | null;
}

export type AccessAction =
  | { kind: 'add-node'; nodeId: string; account: string; publicKey: string }
  | { kind: 'grant'; reservationId: string; nodeId: string; account: string }
  | { kind: 'revoke'; reservationId: string };

/**
 * Keys first (a grant needs its account), then one grant per remote reservation whose directory
 * is not its node's yet, and a revoke for one placed nowhere. A node whose key is unknown waits:
 * its reservations are granted once it has registered with one. Converged input plans nothing.
 */
export function planStorageAccess(nodes: NodeAccess[], reservations: ReservationAccess[]): AccessAction[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const actions: AccessAction[] = [];
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) {
    if (n.storagePublicKey && n.storagePublicKey !== n.storageKeyInstalled) {
      actions.push({ kind: 'add-node', nodeId: n.id, account: storageAccount(n.name), publicKey: n.storagePublicKey });
    }
  }
  for (const r of [...reservations].sort((a, b) => a.id.localeCompare(b.id))) {
    if (r.profile !== 'remote' || r.nodeId === r.storageGrantNodeId) continue;
    if (!r.nodeId) {
      actions.push({ kind: 'revoke', reservationId: r.id });
      continue;
    }
    const node = byId.get(r.nodeId);
    if (!node?.storagePublicKey) continue;
    actions.push({ kind: 'grant', reservationId: r.id, nodeId: node.id, account: storageAccount(node.name) });
  }
  return actions;
}
