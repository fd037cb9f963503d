import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXEC_ACK_EVERY_BYTES, EXEC_CHUNK_BYTES, EXEC_WINDOW_BYTES, type ExecOutput, type ExecRequestIn } from '@berth/proto';
import { ExecBroker, EXEC_MAX_PER_USER, type ExecClient } from './exec-broker.ts';
import type { ExecEnd } from './exec-frames.ts';

const params = { command: ['yes'], tty: false, stdin: true, timeoutMs: 60_000 };
const limits = { defaultTimeoutMs: 60_000, maxTimeoutMs: 120_000, idleTimeoutMs: 10_000 };

function setup() {
  const sent: { nodeId: string; req: ExecRequestIn }[] = [];
  const sendExec = (nodeId: string, req: ExecRequestIn) => {
    sent.push({ nodeId, req });
    return nodeId !== 'gone';
  };
  const broker = new ExecBroker({ sendExec }, limits);
  return { broker, sent };
}

function client() {
  const out: { stream: string; data: Buffer; delivered: () => void }[] = [];
  const ends: ExecEnd[] = [];
  let resumed = 0;
  const c: ExecClient = { output: (stream, data, delivered) => out.push({ stream, data, delivered }), resume: () => resumed++, end: (how) => ends.push(how) };
  return { c, out, ends, resumed: () => resumed };
}

const output = (execId: string, o: Partial<ExecOutput>): ExecOutput => ({
  execId,
  data: Buffer.alloc(0),
  stream: 1,
  inputAcked: 0,
  exited: false,
  exitCode: 0,
  error: '',
  ...o,
});

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('exec broker', () => {
  it('opens the exec on the reservation node and hands its output and exit code to the client', () => {
    const { broker, sent } = setup();
    const k = client();
    const h = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, k.c);
    expect(sent[0]).toMatchObject({ nodeId: 'n1', req: { execId: h.id, start: { reservationId: 'r1', command: ['yes'], timeoutMs: 60_000 } } });
    broker.onOutput('n1', output(h.id, { data: Buffer.from('y\n'), stream: 2 }));
    broker.onOutput('n1', output(h.id, { exited: true, exitCode: 3 }));
    expect(k.out.map((o) => [o.stream, o.data.toString()])).toEqual([['stderr', 'y\n']]);
    expect(k.ends).toEqual([{ exitCode: 3 }]);
    expect(broker.size).toBe(0);
  });

  it('ignores output about the exec from another node', () => {
    const { broker } = setup();
    const k = client();
    const h = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, k.c);
    broker.onOutput('n2', output(h.id, { data: Buffer.from('forged'), exited: true }));
    expect(k.out).toEqual([]);
    expect(k.ends).toEqual([]);
  });

  it('acknowledges output only as the client takes it, and ends an exec whose node ignores the window', () => {
    const { broker, sent } = setup();
    const k = client();
    const h = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, k.c);
    const chunk = Buffer.alloc(EXEC_CHUNK_BYTES);
    for (let i = 0; i < EXEC_WINDOW_BYTES / EXEC_CHUNK_BYTES; i++) broker.onOutput('n1', output(h.id, { data: chunk }));
    expect(sent.filter((s) => s.req.outputAcked)).toEqual([]);
    k.out[0].delivered();
    k.out[1].delivered();
    expect(sent.filter((s) => s.req.outputAcked).map((s) => s.req.outputAcked)).toEqual([EXEC_ACK_EVERY_BYTES]);
    // Acknowledged 64 KiB: the node may have a window plus one chunk beyond that in flight, not more.
    for (let i = 0; i < 3; i++) broker.onOutput('n1', output(h.id, { data: chunk }));
    expect(k.ends).toEqual([]);
    broker.onOutput('n1', output(h.id, { data: chunk }));
    expect(k.ends).toEqual([{ error: { code: 'Internal', message: expect.stringMatching(/more output than allowed/) } }]);
    expect(sent.at(-1)?.req).toMatchObject({ cancel: true });
  });

  it('stops taking stdin at a full window and resumes when the node acknowledges it', () => {
    const { broker, sent } = setup();
    const k = client();
    const h = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, k.c);
    expect(h.stdin(Buffer.alloc(EXEC_WINDOW_BYTES - 1))).toBe(true);
    expect(h.stdin(Buffer.alloc(1))).toBe(false);
    expect(sent.filter((s) => s.req.stdin).every((s) => (s.req.stdin as Buffer).length <= EXEC_CHUNK_BYTES)).toBe(true);
    broker.onOutput('n1', output(h.id, { inputAcked: EXEC_ACK_EVERY_BYTES }));
    expect(k.resumed()).toBe(1);
  });

  it('ends an idle exec and one past its time limit, and says which, killing the process', () => {
    const { broker, sent } = setup();
    const idle = client();
    const a = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, idle.c);
    vi.advanceTimersByTime(9_000);
    broker.onOutput('n1', output(a.id, { data: Buffer.from('y') })); // output keeps it alive
    vi.advanceTimersByTime(9_000);
    expect(idle.ends).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(idle.ends).toEqual([{ limit: 'idle', message: 'exec ended: no input or output for 10s (the idle limit)' }]);
    expect(sent.at(-1)?.req).toMatchObject({ execId: a.id, cancel: true });

    const busy = client();
    const b = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, { ...params, timeoutMs: 30_000 }, busy.c);
    for (let t = 0; t < 30; t++) {
      vi.advanceTimersByTime(1_000);
      broker.onOutput('n1', output(b.id, { data: Buffer.from('y') }));
    }
    expect(busy.ends).toEqual([{ limit: 'timeout', message: 'exec ended: it ran for its time limit of 30s' }]);
  });

  it('limits execs per user, refuses a disconnected node, and ends execs of a lost node', () => {
    const { broker } = setup();
    const ks = Array.from({ length: EXEC_MAX_PER_USER }, () => client());
    for (const k of ks) broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, k.c);
    expect(() => broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, params, client().c)).toThrow(/at most 4 execs/);
    expect(() => broker.start({ nodeId: 'gone', reservationId: 'r1', userId: 'u2' }, params, client().c)).toThrow(/not connected/);
    broker.nodeLost('n1');
    expect(ks.map((k) => k.ends)).toEqual(ks.map(() => [{ error: { code: 'Unavailable', message: 'the node disconnected: exec ended' } }]));
    expect(broker.size).toBe(0);
  });

  it('passes a storm of resizes on at most every 100 ms, the last size winning', () => {
    const { broker, sent } = setup();
    const h = broker.start({ nodeId: 'n1', reservationId: 'r1', userId: 'u1' }, { ...params, tty: true }, client().c);
    for (let i = 1; i <= 50; i++) h.resize({ rows: i, cols: 80 });
    vi.advanceTimersByTime(100);
    expect(sent.filter((s) => s.req.resize).map((s) => s.req.resize)).toEqual([
      { rows: 1, cols: 80 },
      { rows: 50, cols: 80 },
    ]);
  });
});
