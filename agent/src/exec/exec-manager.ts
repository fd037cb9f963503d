// The agent's execs: checks each start the controller sends, runs it (exec-run.ts) and routes the
// controller's input, resizes, acknowledgements and cancels to it. When the stream to the
// controller is lost, every exec is killed: nobody can read its output any more.
import type Docker from 'dockerode';
import type pino from 'pino';
import { EXEC_MAX_PER_NODE, type ContainerSpec, type ContainerStatus, type ExecOutputIn, type ExecRequest } from '@berth/proto';
import { containerProblem, execStartProblem, execTarget } from './exec-checks.ts';
import { ExecRun } from './exec-run.ts';

export interface ExecManagerOptions {
  docker: Docker;
  nodeName: string;
  log: pino.Logger;
  /** The desired set the controller last sent and the last report: what may be exec'd in. */
  desired: () => readonly ContainerSpec[] | undefined;
  observed: () => readonly ContainerStatus[] | undefined;
  send: (o: ExecOutputIn) => void;
}

export class ExecManager {
  private readonly runs = new Map<string, ExecRun>();
  private readonly log: pino.Logger;

  constructor(private readonly opts: ExecManagerOptions) {
    this.log = opts.log.child({ component: 'exec' });
  }

  handle(req: ExecRequest): void {
    if (req.start) return void this.begin(req);
    const run = this.runs.get(req.execId);
    if (!run) return;
    if (req.cancel) {
      run.cancel(req.cancelReason || 'cancelled by the controller');
      return;
    }
    if (req.outputAcked > 0) run.ack(req.outputAcked);
    if (req.stdin?.length) run.stdin(Buffer.from(req.stdin));
    if (req.resize) run.resize(req.resize);
    if (req.stdinEof) run.stdinEof();
  }

  /** The controller stream is gone (or the agent stops): every exec is killed. */
  cancelAll(reason: string): void {
    for (const run of [...this.runs.values()]) run.cancel(reason);
  }

  get size(): number {
    return this.runs.size;
  }

  private async begin(req: ExecRequest): Promise<void> {
    const id = req.execId;
    const send = (o: Omit<ExecOutputIn, 'execId'>) => this.opts.send({ execId: id, ...o });
    const refuse = (problem: string) => {
      this.log.warn({ exec: id.slice(0, 64), reservation: req.start?.reservationId.slice(0, 64), problem }, 'exec refused');
      send({ exited: true, error: problem });
    };
    const problem = execStartProblem(req.start);
    if (problem || !req.start) return refuse(problem ?? 'no start');
    if (!id || id.length > 64 || this.runs.has(id)) return refuse('exec id missing, too long or in use');
    if (this.runs.size >= EXEC_MAX_PER_NODE) return refuse(`node runs ${EXEC_MAX_PER_NODE} execs already`);
    const start = req.start;
    const target = execTarget(start.reservationId, this.opts.desired(), this.opts.observed());
    if ('problem' in target) return refuse(target.problem);
    const log = this.log.child({ exec: id, reservation: start.reservationId });
    const run = new ExecRun(this.opts.docker, target.containerId, start, send, log, () => this.runs.delete(id));
    this.runs.set(id, run);
    try {
      // The engine's word, not the last report: the container may have changed since.
      const why = containerProblem(await this.opts.docker.getContainer(target.containerId).inspect(), this.opts.nodeName, start.reservationId);
      if (why) return run.fail(why);
      await run.begin();
      log.info({ tty: start.tty, stdin: start.stdin, args: start.command.length }, 'exec started');
    } catch (err) {
      run.fail(err instanceof Error ? err.message : String(err));
    }
  }
}
