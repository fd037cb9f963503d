// The converge loop's own timers on a fake clock: a prepared container starts at its window's
// start on the node's clock, the resync interval repairs what changed behind the loop's back, a
// failing pull is retried with growing pauses rather than at every resync, and stop() ends it all.
import type { ContainerReport } from '@berth/proto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConvergeLoop } from './converge-loop.ts';
import { FakeRuntime, spec } from './fake-runtime.testkit.ts';
import { PullBackoff } from './pull-backoff.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

let loop: ConvergeLoop | undefined;
beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(async () => {
  await loop?.stop();
  loop = undefined;
  vi.useRealTimers();
});

const stateOf = (runtime: FakeRuntime, reservationId: string) => [...runtime.containers.values()].find((c) => c.reservationId === reservationId)?.state;

describe('ConvergeLoop timers', () => {
  it("prepares a container before its window and starts it at the window's start on its own clock, with no new desired state", async () => {
    const runtime = new FakeRuntime();
    const reports: ContainerReport[] = [];
    loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r) });
    await loop.setDesired({ version: 1, containers: [{ ...spec('later'), startAtMs: T0 + 60_000 }, spec('now')] });
    expect([stateOf(runtime, 'later'), stateOf(runtime, 'now')]).toEqual(['created', 'running']);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(stateOf(runtime, 'later')).toBe('created');
    await vi.advanceTimersByTimeAsync(1);
    expect(stateOf(runtime, 'later')).toBe('running');
    expect(runtime.created).toEqual(['later', 'now']); // started, not created again
    expect(reports.at(-1)!.containers.find((c) => c.reservationId === 'later')?.state).toBe('running');
  });

  it('re-observes every resyncIntervalMs: a container removed behind its back is back at the next resync, not before', async () => {
    const runtime = new FakeRuntime();
    loop = new ConvergeLoop({ runtime, onReport: () => undefined, resyncIntervalMs: 5_000 });
    await loop.setDesired({ version: 1, containers: [spec('a')] });
    loop.start();
    await vi.advanceTimersByTimeAsync(1_000);
    runtime.containers.clear();
    await vi.advanceTimersByTimeAsync(3_999);
    expect(runtime.created).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(runtime.created).toEqual(['a', 'a']);
    expect(stateOf(runtime, 'a')).toBe('running');
  });

  it('retries a failing pull after 2 s, 4 s, 8 s ... rather than at every resync, and reports the last error meanwhile', async () => {
    const runtime = new FakeRuntime();
    runtime.missingImages.add('img');
    runtime.pullError = 'manifest unknown';
    const reports: ContainerReport[] = [];
    loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r), resyncIntervalMs: 1_000 });
    await loop.setDesired({ version: 1, containers: [spec('a')] });
    loop.start();
    const pullTimes: number[] = [];
    for (let t = 0; t <= 15_000; t += 1_000) {
      if (t > 0) await vi.advanceTimersByTimeAsync(1_000);
      while (pullTimes.length < runtime.pulls.length) pullTimes.push(t);
    }
    expect(pullTimes).toEqual([0, 2_000, 6_000, 14_000]);
    expect(reports.at(-1)!.containers).toEqual([expect.objectContaining({ reservationId: 'a', state: 'failed', message: 'pull failed: manifest unknown' })]);
    runtime.pullError = undefined;
    await vi.advanceTimersByTimeAsync(16_000);
    expect(stateOf(runtime, 'a')).toBe('running');
  });

  it('does nothing more once stopped: no resync, no start at the window', async () => {
    const runtime = new FakeRuntime();
    loop = new ConvergeLoop({ runtime, onReport: () => undefined, resyncIntervalMs: 1_000 });
    await loop.setDesired({ version: 1, containers: [{ ...spec('later'), startAtMs: T0 + 10_000 }] });
    loop.start();
    await loop.stop();
    runtime.containers.clear();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runtime.created).toEqual(['later']);
    expect(runtime.starts).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('PullBackoff', () => {
  it('doubles the pause after each failure up to the cap, and forgets the image once a pull succeeds', () => {
    let now = T0;
    const backoff = new PullBackoff(2_000, 10_000, () => now);
    const pausesAfterEachFailure: number[] = [];
    for (let i = 0; i < 5; i++) {
      backoff.failed('img', `try ${i}`);
      const from = now;
      while (backoff.blocked('img')) now += 100;
      pausesAfterEachFailure.push(now - from);
    }
    expect(pausesAfterEachFailure).toEqual([2_000, 4_000, 8_000, 10_000, 10_000]);
    backoff.failed('img', 'last');
    expect(backoff.blocked('img')).toBe('last');
    backoff.succeeded('img');
    expect(backoff.blocked('img')).toBeUndefined();
    backoff.failed('img', 'again');
    now += 1_999;
    expect(backoff.blocked('img')).toBe('again');
    now += 1;
    expect(backoff.blocked('img')).toBeUndefined();
  });
});
