import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineMonitor, type EnginePing } from './engine-monitor.ts';
import type { EngineHealth } from './engine-health.ts';

/** A ping port the test answers by hand; like dockerode, it gives up when aborted. Records how many run at once. */
function manualPing() {
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void; signal: AbortSignal }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const ping: EnginePing = (signal) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<void>((resolve, reject) => {
      pending.push({ resolve, reject, signal });
      signal.addEventListener('abort', () => reject(new Error('aborted')));
    }).finally(() => inFlight--);
  };
  return { ping, pending, maxInFlight: () => maxInFlight };
}

describe('EngineMonitor', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('counts a ping that never answers as failed after the timeout, aborts it, and never overlaps checks', async () => {
    const p = manualPing();
    const transitions: EngineHealth[] = [];
    const m = new EngineMonitor({ ping: p.ping, intervalMs: 1_000, timeoutMs: 3_000, failureThreshold: 2, onTransition: (h) => transitions.push(h) });
    m.start();
    await vi.advanceTimersByTimeAsync(1_000); // first ping starts and hangs
    expect(p.pending).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(p.pending).toHaveLength(1); // no second ping while the first is out
    await vi.advanceTimersByTimeAsync(1);
    expect(p.pending[0].signal.aborted).toBe(true);
    expect(m.status().available).toBe(true); // one failure is tolerated
    await vi.advanceTimersByTimeAsync(1_000 + 3_000); // second ping, also hangs until its timeout
    expect(p.pending).toHaveLength(2);
    expect(p.maxInFlight()).toBe(1);
    expect(m.status()).toEqual({ available: false, message: 'the container engine ping took more than 3000 ms', unavailableSinceMs: 1_000_000 + 4_000 });
    expect(transitions.map((h) => h.available)).toEqual([false]);
  });

  it('reports the engine available again after the first answered ping', async () => {
    const p = manualPing();
    const transitions: EngineHealth[] = [];
    const m = new EngineMonitor({ ping: p.ping, intervalMs: 500, timeoutMs: 3_000, failureThreshold: 1, onTransition: (h) => transitions.push(h) });
    m.start();
    await vi.advanceTimersByTimeAsync(500);
    p.pending[0].reject(new Error('connect ECONNREFUSED /x/docker.sock'));
    await vi.advanceTimersByTimeAsync(0);
    expect(m.status()).toEqual({ available: false, message: 'connect ECONNREFUSED /x/docker.sock', unavailableSinceMs: 1_000_500 });
    await vi.advanceTimersByTimeAsync(500);
    p.pending[1].resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.status()).toEqual({ available: true, message: '', unavailableSinceMs: 0 });
    expect(transitions.map((h) => h.available)).toEqual([false, true]);
  });

  it('stop() aborts the ping in flight and schedules no further check', async () => {
    const p = manualPing();
    const m = new EngineMonitor({ ping: p.ping, intervalMs: 100, timeoutMs: 3_000 });
    m.start();
    await vi.advanceTimersByTimeAsync(100);
    m.stop();
    expect(p.pending[0].signal.aborted).toBe(true);
    p.pending[0].resolve();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.pending).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
