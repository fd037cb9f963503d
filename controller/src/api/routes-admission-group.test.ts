// Applies that arrive together are admitted as one group (services/create-group.ts): these pin
// that a group admits exactly what one-by-one admission would, in-process over the REST routes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startApiHarness, type ApiHarness } from './api-harness.testkit.ts';

let h: ApiHarness;
beforeEach(async () => {
  h = await startApiHarness();
  const image = {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name: 'nginx' },
    spec: { ref: 'nginx:1.27', ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '256Mi', maxCores: 2, maxMemory: '1Gi' } },
  };
  expect((await h.call('POST', '/api/v1/apply', h.adminToken, image)).statusCode).toBe(201);
});
afterEach(async () => {
  await h.close();
});

const reservation = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'berth/v1',
  kind: 'Reservation',
  metadata: { name },
  spec: { image: 'nginx', duration: '2h', profile: 'ephemeral', ...spec },
});

/** Sends the applies at once (they meet in the admission queue) and answers their status codes. */
async function applyTogether(token: string, manifests: unknown[]) {
  const answers = await Promise.all(manifests.map((m) => h.call('POST', '/api/v1/apply', token, m)));
  return answers.map((a) => a.statusCode);
}

describe('applies admitted together', () => {
  it('admit exactly as many as the node holds and refuse the rest with 409, storing only the admitted', async () => {
    await h.addNode('cn1', { cores: 5, memoryMiB: 8192 });
    const alice = await h.customer('alice');
    const codes = await applyTogether(
      alice,
      Array.from({ length: 12 }, (_, i) => reservation(`web${i}`)),
    );
    expect(codes.filter((c) => c === 201)).toHaveLength(5);
    expect(codes.filter((c) => c === 409)).toHaveLength(7);
    expect(await h.store.db.reservation.count()).toBe(5);
    // The index holds what the store holds: full now, and room again once one is deleted.
    expect((await h.call('POST', '/api/v1/apply', alice, reservation('late'))).statusCode).toBe(409);
    const admitted = await h.store.db.reservation.findFirstOrThrow();
    expect((await h.call('DELETE', `/api/v1/reservations/${admitted.name}`, alice)).statusCode).toBe(200);
    expect((await h.call('POST', '/api/v1/apply', alice, reservation('late'))).statusCode).toBe(201);
  });

  it('create one reservation for two applies of one name, the second answered as a re-apply', async () => {
    await h.addNode('cn1');
    const alice = await h.customer('alice');
    const answers = await Promise.all([1, 2].map(() => h.call('POST', '/api/v1/apply', alice, reservation('web'))));
    expect(answers.map((a) => [a.statusCode, a.json().action]).sort()).toEqual([
      [200, 'unchanged'],
      [201, 'created'],
    ]);
    expect(await h.store.db.reservation.count({ where: { activeName: 'web' } })).toBe(1);
  });

  it('count the reservations of the same group against the owner quota', async () => {
    await h.addNode('cn1', { cores: 64, memoryMiB: 65536 });
    const alice = await h.customer('alice');
    expect((await h.call('PUT', '/api/v1/users/alice/quota', h.adminToken, { maxReservations: 2 })).statusCode).toBe(200);
    const bob = await h.customer('bob');
    const [aliceCodes, bobCodes] = await Promise.all([
      applyTogether(
        alice,
        ['a1', 'a2', 'a3', 'a4'].map((n) => reservation(n)),
      ),
      applyTogether(
        bob,
        ['b1', 'b2', 'b3'].map((n) => reservation(n)),
      ),
    ]);
    expect(aliceCodes.sort()).toEqual([201, 201, 403, 403]);
    expect(bobCodes).toEqual([201, 201, 201]);
    expect(await h.store.db.reservation.count()).toBe(5);
  });

  it('update a live reservation applied in the same group as new ones', async () => {
    await h.addNode('cn1');
    const alice = await h.customer('alice');
    expect((await h.call('POST', '/api/v1/apply', alice, reservation('web'))).statusCode).toBe(201);
    const answers = await Promise.all([
      h.call('POST', '/api/v1/apply', alice, reservation('web', { duration: '3h' })),
      h.call('POST', '/api/v1/apply', alice, reservation('db')),
    ]);
    expect(answers.map((a) => [a.statusCode, a.json().action])).toEqual([
      [200, 'configured'],
      [201, 'created'],
    ]);
    const web = await h.store.db.reservation.findFirstOrThrow({ where: { activeName: 'web' } });
    expect(web.endAt.getTime() - web.startAt.getTime()).toBe(3 * 3600_000);
  });

  it('admit a member refused beside the capacity of a group whose write failed, once that capacity is free again', async () => {
    await h.addNode('cn1', { cores: 2, memoryMiB: 8192 });
    const alice = await h.customer('alice');
    expect((await h.call('POST', '/api/v1/apply', alice, reservation('web'))).statusCode).toBe(201);
    // Hold the admission section so both applies meet in one group: the re-applied "web" is
    // placed beside the live one (the group's insert then fails on its name) and leaves "db" no room.
    let open!: () => void;
    const held = h.admission.run(() => new Promise<void>((resolve) => (open = resolve)));
    const answers = Promise.all([h.call('POST', '/api/v1/apply', alice, reservation('web')), h.call('POST', '/api/v1/apply', alice, reservation('db'))]);
    await vi.waitFor(() => expect(h.creates.size).toBe(2));
    open();
    await held;
    expect((await answers).map((a) => [a.statusCode, a.json().action])).toEqual([
      [200, 'unchanged'],
      [201, 'created'],
    ]);
  });
});
