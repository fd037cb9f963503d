// The control plane at CI size: a real controller on SQLite, 100 hollow nodes in their own
// process (real protocol and TLS, no containers), 1,000 reservations applied 16 at a time. Every
// apply must be answered 201 or a 409 that says why, no node may ever turn NotReady, and every
// reservation that starts at once must be Running. The same driver as `npm run bench:scale`
// (test/support/scale-driver.ts); each phase is bounded so a collapsing controller fails the test
// in bounded time instead of hanging it.
import { afterAll, describe, expect, it } from 'vitest';
import { formatScaleReport, ScaleRun, scaleOptions } from '../support/scale-driver.ts';

const scale = new ScaleRun(
  scaleOptions({
    nodes: 100,
    reservations: 1000,
    store: 'sqlite',
    inflight: 16,
    // Node loss is the bench's business (its grace period alone would double this test's time).
    lossFraction: 0,
    // A healthy controller needs a fraction of each; together they bound a failing run to about
    // three minutes (teardown included), inside the test's timeout.
    budgets: { readyMs: 25_000, imageMs: 20_000, applyMs: 40_000, applyRequestMs: 10_000, runningMs: 25_000, rescheduleExtraMs: 0, finalReadMs: 15_000 },
    log: (line) => process.stderr.write(`${line}\n`),
  }),
);

afterAll(async () => {
  // Only does something when the test timed out mid-run.
  scale.abort();
  await scale.teardown();
});

describe('control plane at CI scale', () => {
  it('admits 1,000 reservations across 100 hollow nodes without a node flap and runs the started ones', async () => {
    const r = await scale.run();
    const report = formatScaleReport(r);
    console.log(report);

    const flapped = [...new Set([...r.flaps.polled, ...r.flaps.events, ...r.flaps.final].map((f) => f.node))];
    // A 409 without a message is counted as "409 (no message)", so it lands here too.
    const unclear = Object.entries(r.apply.byStatus).filter(([status]) => status !== '201' && status !== '409');
    const failures = [
      r.ready.allReadyMs === undefined && `only ${r.ready.readyAtEnd}/${r.options.nodes} nodes Ready`,
      r.apply.notSent > 0 && `${r.apply.notSent} reservations not sent within the apply budget`,
      unclear.length > 0 && `applies answered other than 201/409: ${unclear.map(([s, n]) => `${n}x ${s}`).join(', ')}`,
      flapped.length > 0 && `nodes turned NotReady: ${flapped.slice(0, 10).join(', ')}${flapped.length > 10 ? ` and ${flapped.length - 10} more` : ''}`,
      !r.flaps.nodesReadAtEnd && !r.flaps.eventsReadAtEnd && 'neither nodes nor Node events could be read at the end: flaps unverifiable',
      (r.running.expected === 0 || r.running.running < r.running.expected) &&
        `started reservations Running: ${r.running.running}/${r.running.expected} (${r.running.failed} Failed)`,
    ].filter(Boolean);
    expect(failures, `\n${report}`).toEqual([]);
    // A run cut short, a teardown that failed, or readiness that went unobserved long enough to hide a flap.
    const serious = r.problems.filter((p) => p.startsWith('run stopped') || p.startsWith('teardown') || p.includes('unobserved'));
    expect(serious, `\n${report}\n${r.controllerLogTail ?? ''}`).toEqual([]);
  }, 240_000);
});
