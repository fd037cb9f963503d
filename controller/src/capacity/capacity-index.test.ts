import { describe, expect, it } from 'vitest';
import { CapacityIndex } from './capacity-index.ts';

const H = 3_600_000;
const node = (id: string, extra: Partial<{ cores: number; memoryMiB: number; ready: boolean; cordoned: boolean }> = {}) => ({
  id,
  name: id,
  cores: 4,
  memoryMiB: 1024,
  ready: true,
  cordoned: false,
  ...extra,
});
const request = (start: number, end: number, memoryMiB = 512, milliCores = 1000) => ({ start, end, milliCores, memoryMiB });

function index(pool = 10, lead = 0) {
  const ix = new CapacityIndex(pool, lead);
  ix.upsertNode(node('a'));
  ix.upsertNode(node('b'));
  return ix;
}

describe('CapacityIndex', () => {
  it('places on the least committed node and counts what was committed', () => {
    const ix = index();
    ix.commit('r1', { nodeId: 'a', start: 0, end: 2 * H, milliCores: 1000, memoryMiB: 512, publicPorts: 1 });
    const d = ix.decide(request(0, H), 'min-ram-ratio');
    expect(d.ok && d.node.id).toBe('b');
  });

  it('frees capacity on release, once', () => {
    const ix = index();
    ix.commit('r1', { nodeId: 'a', start: 0, end: H, milliCores: 4000, memoryMiB: 1024, publicPorts: 0 });
    ix.commit('r2', { nodeId: 'b', start: 0, end: H, milliCores: 4000, memoryMiB: 1024, publicPorts: 0 });
    expect(ix.decide(request(0, H), 'min-ram-ratio').ok).toBe(false);
    ix.release('r1');
    ix.release('r1');
    const d = ix.decide(request(0, H), 'min-ram-ratio');
    expect(d.ok && d.node.id).toBe('a');
    expect(ix.size).toBe(1);
  });

  it('leaves a reservation out of its own re-admission', () => {
    const ix = index();
    ix.commit('r1', { nodeId: 'a', start: 0, end: H, milliCores: 4000, memoryMiB: 1024, publicPorts: 0 });
    expect(ix.decide(request(0, 2 * H, 1024, 4000), 'min-ram-ratio', { onlyNodeId: 'a' }).ok).toBe(false);
    const d = ix.decide(request(0, 2 * H, 1024, 4000), 'min-ram-ratio', { onlyNodeId: 'a', excludeReservationId: 'r1' });
    expect(d.ok && d.node.id).toBe('a');
    // and the index still holds r1 afterwards
    expect(ix.decide(request(0, H, 1024, 4000), 'min-ram-ratio', { onlyNodeId: 'a' }).ok).toBe(false);
  });

  it('moves a reservation with the rest of its window and takes nothing on NotReady or cordoned nodes', () => {
    const ix = index();
    ix.commit('r1', { nodeId: 'a', start: 0, end: 2 * H, milliCores: 4000, memoryMiB: 1024, publicPorts: 1 });
    ix.setReady('a', false);
    ix.move('r1', 'b', H);
    const before = ix.decide(request(0, H, 1024, 4000), 'min-ram-ratio');
    expect(before.ok && before.node.id).toBe('b'); // r1 holds b only from H on
    const during = ix.decide(request(H, 2 * H, 1024, 4000), 'min-ram-ratio');
    expect(during.ok).toBe(false);
    if (!during.ok) expect(during.rejections.find((r) => r.node === 'a')?.reason).toBe('node is NotReady');
    ix.setReady('a', true);
    const back = ix.decide(request(H, 2 * H, 1024, 4000), 'min-ram-ratio');
    expect(back.ok && back.node.id).toBe('a'); // a no longer holds r1
    ix.setCordoned('a', true);
    expect(ix.decide(request(H, 2 * H, 1024, 4000), 'min-ram-ratio').ok).toBe(false);
  });

  it('refuses public ports beyond the pool at the busiest instant, and reuses them across disjoint windows', () => {
    const ix = index(2);
    ix.commit('r1', { nodeId: 'a', start: 0, end: 2 * H, milliCores: 1000, memoryMiB: 64, publicPorts: 1 });
    ix.commit('r2', { nodeId: 'b', start: H, end: 3 * H, milliCores: 1000, memoryMiB: 64, publicPorts: 1 });
    expect(ix.publicPortShortage({ start: 1.5 * H, end: 2.5 * H }, 1)).toMatch(/public ports: 2 of 2 already taken in the window, needs 1 more/);
    // r1 and r2 overlap only in [H, 2H): before and after it one port is free.
    expect(ix.publicPortShortage({ start: 0, end: H }, 1)).toBeUndefined();
    expect(ix.publicPortShortage({ start: 2 * H, end: 4 * H }, 1)).toBeUndefined();
    expect(ix.publicPortShortage({ start: 2 * H, end: 4 * H }, 2)).toMatch(/needs 2 more/);
    // Re-admitting r1 itself does not count r1.
    expect(ix.publicPortShortage({ start: 1.5 * H, end: 2.5 * H }, 1, 'r1')).toBeUndefined();
    expect(ix.publicPortShortage({ start: 0, end: 4 * H }, 0)).toBeUndefined();
  });

  it('holds at most maxReservationsPerNode at once on a node, however little each asks for', () => {
    const ix = new CapacityIndex(100, 0, 3);
    ix.upsertNode(node('a'));
    for (const id of ['r1', 'r2', 'r3']) ix.commit(id, { nodeId: 'a', start: 0, end: 2 * H, milliCores: 1, memoryMiB: 1, publicPorts: 0 });
    const full = ix.decide(request(H, 3 * H, 1, 1), 'min-ram-ratio');
    expect(full).toMatchObject({ ok: false, rejections: [{ node: 'a', reason: 'reservations: 3 of at most 3 per node already placed in the window' }] });
    // Back to back with them is fine, and so is a re-admission of one of the three.
    expect(ix.decide(request(2 * H, 3 * H, 1, 1), 'min-ram-ratio').ok).toBe(true);
    expect(ix.decide(request(0, 3 * H, 1, 1), 'min-ram-ratio', { excludeReservationId: 'r2' }).ok).toBe(true);
    ix.release('r3');
    expect(ix.decide(request(H, 3 * H, 1, 1), 'min-ram-ratio').ok).toBe(true);
  });

  it("counts a node's reservations from the prepare lead, when the node is sent them", () => {
    const lead = 30_000;
    const ix = new CapacityIndex(100, lead, 1);
    ix.upsertNode(node('a'));
    ix.commit('r1', { nodeId: 'a', start: 0, end: H, milliCores: 1, memoryMiB: 1, publicPorts: 0 });
    // Starting just after r1 ends, it would be prepared while r1 still runs: the set would hold both.
    expect(ix.decide(request(H + lead / 2, 2 * H, 1, 1), 'min-ram-ratio').ok).toBe(false);
    expect(ix.decide(request(H + lead, 2 * H, 1, 1), 'min-ram-ratio').ok).toBe(true);
    // Only the peak counts: two reservations in turn leave room beside them.
    const two = new CapacityIndex(100, lead, 2);
    two.upsertNode(node('a'));
    two.commit('r1', { nodeId: 'a', start: 0, end: H, milliCores: 1, memoryMiB: 1, publicPorts: 0 });
    two.commit('r2', { nodeId: 'a', start: 2 * H, end: 3 * H, milliCores: 1, memoryMiB: 1, publicPorts: 0 });
    expect(two.decide(request(0, 3 * H, 1, 1), 'min-ram-ratio').ok).toBe(true);
  });

  it('counts ports from the prepare lead before a window opens', () => {
    const ix = index(1, 30_000);
    ix.commit('r1', { nodeId: 'a', start: 0, end: H, milliCores: 1000, memoryMiB: 64, publicPorts: 1 });
    expect(ix.publicPortShortage({ start: H, end: 2 * H }, 1)).toMatch(/public ports/);
    expect(ix.publicPortShortage({ start: H + 30_000, end: 2 * H }, 1)).toBeUndefined();
  });

  it('in a cluster of over 100 nodes, examines a share per decision and moves on, so placements spread over every node', () => {
    const ix = new CapacityIndex(10_000, 0);
    for (let i = 0; i < 200; i++) ix.upsertNode(node(`n${String(i).padStart(3, '0')}`, { memoryMiB: 65_536, cores: 64 }));
    const used = new Set<string>();
    for (let r = 0; r < 6; r++) {
      const d = ix.decide(request(0, H, 64, 100), 'min-ram-ratio');
      expect(d.ok && d.examined).toBe(100); // 200 nodes: enough at 100 feasible
      if (!d.ok) return;
      used.add(d.node.id);
      ix.commit(`r${r}`, { nodeId: d.node.id, start: 0, end: H, milliCores: 100, memoryMiB: 64, publicPorts: 0 });
    }
    // Each scan starts where the last stopped: two scans cover the cluster, then it starts over
    // (equal scores go to the lowest name among the nodes examined).
    expect([...used].sort()).toEqual(['n000', 'n001', 'n002', 'n100', 'n101', 'n102']);
  });

  it('binpack sees every node (the fullest may be outside any share)', () => {
    const ix = new CapacityIndex(10_000, 0);
    for (let i = 0; i < 300; i++) ix.upsertNode(node(`n${String(i).padStart(3, '0')}`, { memoryMiB: 65_536, cores: 64 }));
    ix.commit('full', { nodeId: 'n250', start: 0, end: H, milliCores: 1000, memoryMiB: 32_768, publicPorts: 0 });
    const d = ix.decide(request(0, H, 64, 100), 'binpack');
    expect(d.ok && d.node.id).toBe('n250');
    expect(d.examined).toBe(300);
  });
});
