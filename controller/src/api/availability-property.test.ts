// Property: on random clusters (sizes, cordoned and NotReady nodes, a small public port pool)
// under random workloads from customers with and without quotas, every availability offer is
// admitted when applied through the real API at its earliest and at its latest start.
import { afterEach, describe, expect, it } from 'vitest';
import { startApiHarness, START, type ApiHarness } from './api-harness.testkit.ts';

const M = 60_000;
const iso = (t: number) => new Date(t).toISOString();

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const image = (name: string, ports: number) => ({
  apiVersion: 'berth/v1',
  kind: 'Image',
  metadata: { name },
  spec: {
    ref: `${name}:1`,
    ports: Array.from({ length: ports }, (_, i) => ({ name: `p${i}`, port: 80 + i })),
    resources: { cores: 1, memory: '512Mi', maxCores: 4, maxMemory: '4Gi' },
  },
});

describe('availability offers on random clusters', () => {
  it('are admitted when applied, at their earliest and latest start', async () => {
    const random = rng(2026);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    const seen = { offers: 0, refusedWorkload: 0 };
    for (let round = 0; round < 4; round++) {
      await h?.close();
      h = await startApiHarness({ portRanges: { node: { min: 20000, max: 20999 }, nat: { min: 30000, max: 30005 } } });
      const harness = h;
      const call = (method: string, url: string, token: string, payload?: unknown) =>
        harness.app.inject({ method: method as 'GET', url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
      await call('POST', '/api/v1/apply', harness.adminToken, image('web', 1));
      await call('POST', '/api/v1/apply', harness.adminToken, image('batch', 0));
      const nodes = 2 + Math.floor(random() * 3);
      for (let i = 0; i < nodes; i++) {
        const id = await harness.addNode(`cn${i}`, { cores: pick([1, 2, 4]), memoryMiB: pick([1024, 2048, 4096]) });
        const state = random();
        if (state < 0.2) await call('POST', `/api/v1/nodes/cn${i}/cordon`, harness.adminToken);
        else if (state < 0.4) await harness.setReady(id, false);
      }
      const customers = [await harness.customer('alice'), await harness.customer('bob')];
      await call('PUT', '/api/v1/users/alice/quota', harness.adminToken, { maxCores: 3, maxAdvance: '2d' });
      let n = 0;
      const spec = () => ({
        image: pick(['web', 'batch']),
        duration: `${pick([30, 60, 90, 180, 240])}m`,
        profile: 'ephemeral',
        cores: pick([0.5, 1, 2]),
        memory: pick(['256Mi', '512Mi', '1Gi', '2Gi']),
      });
      for (let i = 0; i < 20; i++) {
        const res = await call('POST', '/api/v1/apply', pick(customers), {
          apiVersion: 'berth/v1',
          kind: 'Reservation',
          metadata: { name: `w${n++}` },
          spec: { ...spec(), start: iso(START + Math.floor(random() * 96) * 15 * M) },
        });
        if (res.statusCode !== 201) seen.refusedWorkload++;
      }
      for (let q = 0; q < 4; q++) {
        const who = pick(customers);
        const s = spec();
        const qs = `image=${s.image}&duration=${s.duration}&cores=${s.cores}&memory=${s.memory}&limit=3&until=${iso(START + 36 * 60 * M)}`;
        const res = await call('GET', `/api/v1/availability?${qs}`, who);
        expect(res.statusCode).toBe(200);
        for (const offer of res.json().offers as Array<{ start: string; latestStart: string }>) {
          seen.offers++;
          for (const start of new Set([offer.start, offer.latestStart])) {
            const name = `o${n++}`;
            const applied = await call('POST', '/api/v1/apply', who, {
              apiVersion: 'berth/v1',
              kind: 'Reservation',
              metadata: { name },
              spec: { ...s, start },
            });
            expect(applied.statusCode, `${qs} at ${start}: ${applied.body}`).toBe(201);
            expect((await call('DELETE', `/api/v1/reservations/${name}`, who)).statusCode).toBe(200);
          }
        }
      }
    }
    // Not vacuous: offers were made, and the workload filled the clusters enough to refuse some.
    expect(seen.offers).toBeGreaterThan(10);
    expect(seen.refusedWorkload).toBeGreaterThan(5);
  }, 120_000);
});
