// A fixed piece of CPU work, timed: the yardstick a bench prints beside its figures. This
// machine's CPU speed drifts by a quarter or more from hour to hour (a noisy neighbour on the
// host), so two runs of the same bench are comparable only together with the time this same
// work took at the time of each.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const BLOCK = Buffer.alloc(1 << 20, 7);

/** One pass: JS integer work and native hashing, ~50 ms on this machine when it is quick. */
function work(): number {
  let x = 0;
  for (let i = 0; i < 20_000_000; i++) x = (x + i * 31) % 1_000_003;
  const hash = createHash('sha256');
  for (let i = 0; i < 32; i++) hash.update(BLOCK);
  return x + hash.digest()[0];
}

/** Median wall time of `runs` passes, in ms (after one unmeasured pass to warm the JIT). */
export function referenceWorkMs(runs = 5): number {
  work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    work();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
