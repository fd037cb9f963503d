import { describe, expect, it } from 'vitest';
import { planStorageAccess, type NodeAccess, type ReservationAccess } from './plan-access.ts';

const KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${'A'.repeat(48)}`;
const OTHER = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${'B'.repeat(48)}`;
const node = (id: string, over: Partial<NodeAccess> = {}): NodeAccess => ({ id, name: `node-${id}`, storagePublicKey: KEY, storageKeyInstalled: KEY, ...over });
const res = (id: string, nodeId: string | null, storageGrantNodeId: string | null, profile = 'remote'): ReservationAccess => ({
  id,
  profile,
  nodeId,
  storageGrantNodeId,
});

describe('planStorageAccess', () => {
  it('plans nothing when every remote reservation belongs to the node it is placed on', () => {
    expect(planStorageAccess([node('a'), node('b')], [res('r1', 'a', 'a'), res('r2', 'b', 'b')])).toEqual([]);
  });

  it("grants a newly placed reservation to its node's account, and a moved one to the new node", () => {
    expect(planStorageAccess([node('a'), node('b')], [res('r1', 'a', null), res('r2', 'b', 'a')])).toEqual([
      { kind: 'grant', reservationId: 'r1', nodeId: 'a', account: 'bn-node-a' },
      { kind: 'grant', reservationId: 'r2', nodeId: 'b', account: 'bn-node-b' },
    ]);
  });

  it('installs a new or replaced node key before the grants that need it', () => {
    expect(planStorageAccess([node('b', { storageKeyInstalled: null }), node('a', { storagePublicKey: OTHER })], [res('r1', 'b', null)])).toEqual([
      { kind: 'add-node', nodeId: 'a', account: 'bn-node-a', publicKey: OTHER },
      { kind: 'add-node', nodeId: 'b', account: 'bn-node-b', publicKey: KEY },
      { kind: 'grant', reservationId: 'r1', nodeId: 'b', account: 'bn-node-b' },
    ]);
  });

  it('waits for a node that has not sent a key yet, and ignores other profiles', () => {
    expect(
      planStorageAccess([node('a', { storagePublicKey: null, storageKeyInstalled: null })], [res('r1', 'a', null), res('r2', 'a', null, 'local')]),
    ).toEqual([]);
  });

  it('revokes the directory of a reservation placed nowhere, so its last node loses it', () => {
    expect(planStorageAccess([node('a')], [res('r1', null, 'a'), res('r2', null, null)])).toEqual([{ kind: 'revoke', reservationId: 'r1' }]);
  });
});
