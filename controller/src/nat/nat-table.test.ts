import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NatTable } from './nat-table.ts';
import type { NatEndpoint } from './endpoint.ts';

const endpoint = (port: number): NatEndpoint => ({
  key: `r/${port}`,
  publicAddress: '192.0.2.1',
  natPort: port,
  nodeAddress: '10.0.0.2',
  nodePort: 20000 + port,
});

/** A backend whose every sync takes `syncMs` and records what it was given. */
function slowBackend(syncMs: number) {
  const syncs: number[] = [];
  return {
    syncs,
    sync: async (endpoints: NatEndpoint[]) => {
      await new Promise((resolve) => setTimeout(resolve, syncMs));
      syncs.push(endpoints.length);
    },
  };
}

describe('NatTable', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('sends a lone change at once, and every change made before flush() is in the kernel when it resolves', async () => {
    const backend = slowBackend(5);
    const table = new NatTable(backend, 100);
    table.set('r1', [endpoint(30001)]);
    const flushed = table.flush();
    await vi.advanceTimersByTimeAsync(5);
    await flushed;
    expect(backend.syncs).toEqual([1]);
  });

  it('spaces syncs by four times the last one when that exceeds the minimum, so a slow sync is not repeated back to back', async () => {
    const backend = slowBackend(50);
    const table = new NatTable(backend, 10);
    // A change every 20 ms for 1 s, each waiting for its flush, as starting reservations do.
    const flushes: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      table.set(`r${i}`, [endpoint(30000 + i)]);
      flushes.push(table.flush());
      await vi.advanceTimersByTimeAsync(20);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(flushes);
    expect(table.spacing).toBe(200);
    // With the fixed 10 ms spacing, a 50 ms sync would run ~17 times in that second.
    expect(backend.syncs.length).toBeLessThanOrEqual(6);
    expect(backend.syncs.at(-1)).toBe(50);
  });

  it('goes back to the minimum spacing once syncs are quick again', async () => {
    let syncMs = 50;
    const syncs: number[] = [];
    const table = new NatTable(
      {
        sync: async (e) => {
          await new Promise((resolve) => setTimeout(resolve, syncMs));
          syncs.push(e.length);
        },
      },
      10,
    );
    table.set('a', [endpoint(30001)]);
    let f = table.flush();
    await vi.advanceTimersByTimeAsync(50);
    await f;
    expect(table.spacing).toBe(200);
    syncMs = 1;
    table.set('b', [endpoint(30002)]);
    f = table.flush();
    await vi.advanceTimersByTimeAsync(250);
    await f;
    expect(table.spacing).toBe(10);
    expect(syncs).toEqual([1, 2]);
  });

  it('says per reservation whether the kernel holds its latest endpoints', async () => {
    const table = new NatTable(slowBackend(5), 10);
    table.set('a', [endpoint(30001)]);
    expect(table.isSynced('a')).toBe(false);
    expect(table.isSynced('never-set')).toBe(true);
    const f = table.flush();
    table.set('b', [endpoint(30002)]); // after the running sync took its snapshot
    await vi.advanceTimersByTimeAsync(5);
    await f;
    expect([table.isSynced('a'), table.isSynced('b')]).toEqual([true, false]);
    const g = table.flush();
    await vi.advanceTimersByTimeAsync(100);
    await g;
    expect(table.isSynced('b')).toBe(true);
    table.set('a', []);
    expect(table.isSynced('a')).toBe(false);
  });

  it('backs off a failing backend, doubling the spacing from 1 s, and keeps the changes for the next try', async () => {
    let fail = true;
    const seen: number[] = [];
    const table = new NatTable(
      {
        sync: async (e) => {
          seen.push(e.length);
          if (fail) throw new Error('iptables-restore: locked');
        },
      },
      10,
    );
    table.set('a', [endpoint(30001)]);
    await expect(table.flush()).rejects.toThrow('locked');
    expect(table.spacing).toBe(1_000);
    const again = table.flush();
    again.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(again).rejects.toThrow('locked');
    expect(table.spacing).toBe(2_000);
    expect(table.isSynced('a')).toBe(false);
    fail = false;
    const ok = table.flush();
    await vi.advanceTimersByTimeAsync(2_000);
    await ok;
    expect(table.isSynced('a')).toBe(true);
    expect(seen).toEqual([1, 1, 1]);
  });

  it('logs a failed sync once however many flushes wait on it', async () => {
    const warnings: unknown[] = [];
    const table = new NatTable(
      {
        sync: async () => {
          throw new Error('iptables-restore: locked');
        },
      },
      10,
      { warn: (fields: unknown) => void warnings.push(fields) },
    );
    for (let i = 0; i < 50; i++) table.set(`r${i}`, [endpoint(30001 + i)]);
    const waiters = Array.from({ length: 50 }, () => table.flush());
    const outcomes = await Promise.allSettled(waiters);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(warnings).toEqual([{ err: 'iptables-restore: locked', retryInMs: 1_000 }]);
  });
});
