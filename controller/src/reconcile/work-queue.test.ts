import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { systemClock } from '../lib/clock.ts';
import { backoffMs, TerminalError, WorkQueue } from './work-queue.ts';

const log = pino({ level: 'silent' });

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('collapses duplicate adds of a waiting key into one reconcile', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      concurrency: 1,
      handler: async (k) => {
        seen.push(k);
      },
    });
    const gate = deferred();
    const q2 = new WorkQueue({
      name: 't2',
      log,
      clock: systemClock,
      concurrency: 1,
      handler: async (k) => {
        if (k === 'block') await gate.promise;
        seen.push(k);
      },
    });
    q2.add('block');
    q2.add('a');
    q2.add('a');
    q2.add('a');
    gate.resolve();
    await q2.idle();
    expect(seen).toEqual(['block', 'a']);
    await q.shutdown(100);
  });

  it('runs a key again once when it was added while being reconciled, never twice at once', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const gate = deferred();
    const q = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      concurrency: 4,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await gate.promise;
        running--;
      },
    });
    q.add('k');
    await new Promise((r) => setImmediate(r));
    q.add('k');
    q.add('k');
    gate.resolve();
    await q.idle();
    await new Promise((r) => setImmediate(r));
    await q.idle();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('keeps reconciling other keys while one keeps failing, and backs the failing one off', async () => {
    const calls = new Map<string, number[]>();
    const q = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      concurrency: 1,
      backoff: { baseMs: 20, maxMs: 1000 },
      handler: async (k) => {
        calls.set(k, [...(calls.get(k) ?? []), Date.now()]);
        if (k === 'bad') throw new Error('boom');
      },
    });
    q.add('bad');
    for (let i = 0; i < 5; i++) q.add(`good-${i}`);
    await q.idle();
    for (let i = 0; i < 5; i++) expect(calls.get(`good-${i}`)).toHaveLength(1);
    const deadline = Date.now() + 2000;
    while ((calls.get('bad')?.length ?? 0) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const times = calls.get('bad')!;
    expect(times.length).toBeGreaterThanOrEqual(4);
    // 20, 40, 80 ms: each retry waits at least as long as the previous gap (timers may run late).
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(35);
    expect(times[3] - times[2]).toBeGreaterThanOrEqual(75);
    await q.shutdown(100);
  });

  it('does not retry a terminal error', async () => {
    let runs = 0;
    const q = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      backoff: { baseMs: 1, maxMs: 1 },
      handler: async () => {
        runs++;
        throw new TerminalError('no');
      },
    });
    await q.reconcileNow('k');
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(1);
  });

  it('requeues a key at the time its handler asks for, the earliest time winning', async () => {
    const at: number[] = [];
    const start = Date.now();
    const q = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      handler: async () => {
        at.push(Date.now() - start);
        return at.length === 1 ? { requeueAfterMs: 60 } : undefined;
      },
    });
    q.add('k');
    q.addAfter('k', 5000); // later than what the handler will ask: ignored
    const deadline = Date.now() + 2000;
    while (at.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(at).toHaveLength(2);
    expect(at[1]).toBeGreaterThanOrEqual(55);
    expect(at[1]).toBeLessThan(1000);
    await q.shutdown(100);
  });

  it('reconcileNow resolves after the run that follows the call', async () => {
    let value = 0;
    const q = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      handler: async () => {
        value++;
      },
    });
    await q.reconcileNow('k');
    expect(value).toBe(1);
    await q.reconcileNow('k');
    expect(value).toBe(2);
  });

  it('shutdown stops taking work and gives up on a stuck key after the deadline', async () => {
    const never = new Promise<void>(() => undefined);
    const q = new WorkQueue({ name: 't', log, clock: systemClock, handler: async () => never });
    q.add('stuck');
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    expect(await q.shutdown(50)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    let ran = false;
    const q2 = new WorkQueue({
      name: 't',
      log,
      clock: systemClock,
      handler: async () => {
        ran = true;
      },
    });
    await q2.shutdown(10);
    q2.add('x');
    await new Promise((r) => setTimeout(r, 10));
    expect(ran).toBe(false);
  });

  it('backoff doubles from the base up to the cap', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, p))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
