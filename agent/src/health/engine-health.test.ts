import { describe, expect, it } from 'vitest';
import { engineTransition, INITIAL_ENGINE_HEALTH, nextEngineHealth, toEngineStatus, type CheckOutcome, type EngineHealth } from './engine-health.ts';

const fail = (message: string): CheckOutcome => ({ ok: false, message });
const OK: CheckOutcome = { ok: true };

/** Feeds outcomes at the given clock readings, as the monitor would. */
function run(steps: Array<[number, CheckOutcome]>, threshold = 2): EngineHealth[] {
  const out: EngineHealth[] = [];
  let h = INITIAL_ENGINE_HEALTH;
  for (const [now, outcome] of steps) out.push((h = nextEngineHealth(h, outcome, now, threshold)));
  return out;
}

describe('engine health', () => {
  it('tolerates a single failed check: the engine stays available', () => {
    const [h] = run([[1_000, fail('connect ECONNREFUSED /run/docker.sock')]]);
    expect(toEngineStatus(h)).toEqual({ available: true, message: '', unavailableSinceMs: 0 });
    expect(engineTransition(INITIAL_ENGINE_HEALTH, h)).toBeUndefined();
  });

  it('declares the engine unavailable at the threshold, since the first failure, with the latest message', () => {
    const [first, second, third] = run(
      [
        [1_000, fail('a')],
        [6_000, fail('b')],
        [11_000, fail('c')],
      ],
      2,
    );
    expect(engineTransition(first, second)).toBe('lost');
    expect(toEngineStatus(second)).toEqual({ available: false, message: 'b', unavailableSinceMs: 1_000 });
    expect(engineTransition(second, third)).toBeUndefined();
    expect(toEngineStatus(third)).toEqual({ available: false, message: 'c', unavailableSinceMs: 1_000 });
  });

  it('recovers at the first success and starts a new outage from the next failure', () => {
    const hs = run([
      [1_000, fail('a')],
      [2_000, fail('b')],
      [3_000, OK],
      [4_000, fail('c')],
      [5_000, fail('d')],
    ]);
    expect(engineTransition(hs[1], hs[2])).toBe('recovered');
    expect(toEngineStatus(hs[2])).toEqual({ available: true, message: '', unavailableSinceMs: 0 });
    expect(toEngineStatus(hs[4])).toEqual({ available: false, message: 'd', unavailableSinceMs: 4_000 });
  });

  it('a success between failures resets the count, so isolated failures never add up to an outage', () => {
    const hs = run([
      [1_000, fail('a')],
      [2_000, OK],
      [3_000, fail('b')],
      [4_000, OK],
      [5_000, fail('c')],
    ]);
    expect(hs.every((h) => h.available)).toBe(true);
  });

  it('a threshold of 1 (or less) declares the outage at the first failure', () => {
    expect(run([[7, fail('x')]], 1)[0].available).toBe(false);
    expect(run([[7, fail('x')]], 0)[0].available).toBe(false);
  });
});
