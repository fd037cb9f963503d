import { describe, expect, it } from 'vitest';
import type { ContainerSpec, ContainerStatus, ExecStart } from '@berth/proto';
import { containerProblem, execStartProblem, execTarget } from './exec-checks.ts';
import { MuxReader } from './mux-reader.ts';
import { descendants, parentFromStat } from './process-tree.ts';

const start = (o: Partial<ExecStart> = {}): ExecStart => ({
  reservationId: 'r1',
  command: ['sh'],
  tty: false,
  stdin: false,
  size: null,
  timeoutMs: 1000,
  ...o,
});
const spec = (reservationId: string) => ({ reservationId }) as ContainerSpec;
const status = (reservationId: string, state: string, containerId = 'c1') => ({ reservationId, state, containerId }) as ContainerStatus;
const labels = (o: Record<string, string> = {}) => ({ 'berth.managed': 'true', 'berth.node': 'cn1', 'berth.reservation': 'r1', ...o });

describe('what the agent execs in', () => {
  it('only a reservation the controller placed here, whose container runs', () => {
    expect(execTarget('r1', [spec('r1')], [status('r1', 'running')])).toEqual({ containerId: 'c1' });
    expect(execTarget('r2', [spec('r1')], [status('r1', 'running'), status('r2', 'running', 'c2')])).toEqual({
      problem: 'reservation is not placed on this node',
    });
    expect(execTarget('r1', undefined, [status('r1', 'running')])).toEqual({ problem: 'reservation is not placed on this node' });
    expect(execTarget('r1', [spec('r1')], [])).toEqual({ problem: 'no container for this reservation on the node' });
    expect(execTarget('r1', [spec('r1')], [status('r1', 'exited')])).toEqual({ problem: 'container is exited' });
  });

  it("refuses a container the engine says is not this node's Berth container for the reservation, or not running", () => {
    const running = { State: { Running: true } };
    expect(containerProblem({ Config: { Labels: labels() }, ...running }, 'cn1', 'r1')).toBeUndefined();
    expect(containerProblem({ Config: { Labels: {} }, ...running }, 'cn1', 'r1')).toMatch(/not managed by Berth/);
    expect(containerProblem({ Config: { Labels: labels({ 'berth.node': 'cn2' }) }, ...running }, 'cn1', 'r1')).toMatch(/not managed by Berth/);
    expect(containerProblem({ Config: { Labels: labels({ 'berth.reservation': 'r9' }) }, ...running }, 'cn1', 'r1')).toMatch(/another reservation/);
    expect(containerProblem({ Config: { Labels: labels() }, State: { Running: false } }, 'cn1', 'r1')).toMatch(/not running/);
  });

  it('refuses starts outside the contract', () => {
    expect(execStartProblem(start())).toBeUndefined();
    expect(execStartProblem(null)).toMatch(/without start/);
    expect(execStartProblem(start({ command: [] }))).toMatch(/empty/);
    expect(execStartProblem(start({ command: Array(300).fill('x') }))).toMatch(/256/);
    expect(execStartProblem(start({ command: ['a\0'] }))).toMatch(/NUL/);
    expect(execStartProblem(start({ timeoutMs: 0 }))).toMatch(/time limit/);
    expect(execStartProblem(start({ size: { rows: 0, cols: 80 } }))).toMatch(/size/);
  });
});

describe('engine stream and process tree', () => {
  it('splits the multiplexed stream into stdout and stderr as bytes arrive', () => {
    const frame = (stream: number, text: string) => {
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([h, Buffer.from(text)]);
    };
    const wire = Buffer.concat([frame(1, 'out'), frame(2, 'err')]);
    const m = new MuxReader();
    const got = [...m.push(wire.subarray(0, 10)), ...m.push(wire.subarray(10))];
    expect(got.map((f) => [f.stream, f.data.toString()])).toEqual([
      [1, 'out'],
      [2, 'err'],
    ]);
  });

  it('finds every descendant of a process, and parses parents from /proc stat lines', () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 11],
      [13, 1],
      [14, 12],
    ]);
    expect(descendants(10, parents).sort()).toEqual([10, 11, 12, 14]);
    expect(parentFromStat('42 (a) b (c)) S 7 42 42 0')).toBe(7);
  });
});
