// One controller process and one agent process on this host: the set-up most cross-process tests
// share. `stop()` releases everything they made (containers, NAT chains, data directory).
import pino from 'pino';
import { IptablesNat } from '../../controller/src/nat/index.ts';
import { removeNodeContainers } from './host.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerOptions, type ControllerProcess } from './processes.ts';
import { waitFor } from './wait.ts';

type Conditioned = { status?: { conditions?: Array<{ type: string; status: string }> } };
export const isReady = (o: Conditioned | undefined) => o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Waits for the node's Ready condition and returns the node. A dead agent fails at once; a dead
 * agent or a timeout reports the tails of the agent's and the controller's logs.
 */
export async function waitForNodeReady(controller: ControllerProcess, node: string, agent?: AgentProcess, timeoutMs = 45_000): Promise<any> {
  const tail = (label: string, log: string) => `\n${label} log:\n${log.split('\n').slice(-20).join('\n')}`;
  const logs = () => `${agent ? tail('agent', agent.log) : ''}${tail('controller', controller.log)}`;
  return waitFor(
    async () => {
      const { body } = await controller.api.get('nodes', node);
      return isReady(body) ? body : undefined;
    },
    {
      what: `node ${node} Ready`,
      timeoutMs,
      failFast: () =>
        agent && (agent.child.exitCode !== null || agent.child.signalCode !== null)
          ? `agent ${node} exited (${agent.child.exitCode ?? agent.child.signalCode})`
          : undefined,
    },
  ).catch((err: Error) => {
    throw new Error(`${err.message}${logs()}`);
  });
}

export async function waitForPhase(controller: ControllerProcess, name: string, phase: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const { body } = await controller.api.get('reservations', name);
      return body?.status?.phase === phase ? body : undefined;
    },
    { timeoutMs, what: `${name} to be ${phase}` },
  );
}

export class SingleHost {
  constructor(
    public controller: ControllerProcess,
    public agent: AgentProcess,
    readonly node: string,
  ) {}

  /** Starts a new agent process for the same node (after the old one was stopped). */
  restartAgent(): AgentProcess {
    this.agent = startAgent({ controller: this.controller.grpcAddress, joinToken: this.controller.joinToken, nodeName: this.node });
    return this.agent;
  }

  /** Restarts the controller on the same data directory, ports and NAT chains. */
  async restartController(): Promise<number | null> {
    const code = await this.controller.stop();
    this.controller = await startController({ ...this.controller.opts });
    return code;
  }

  async stop(): Promise<void> {
    await this.agent.stop();
    await this.controller.stop();
    await removeNodeContainers(this.node);
    if (this.controller.opts.nat === 'iptables') {
      await new IptablesNat({ log: pino({ level: 'silent' }), chainPrefix: this.controller.opts.chainPrefix }).teardown();
    }
    await removeDir(this.controller.dataDir);
  }
}

export async function startSingleHost(prefix: string, opts: ControllerOptions = {}): Promise<SingleHost> {
  const controller = await startController(opts);
  const node = uniqueName(prefix);
  const host = new SingleHost(controller, startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node }), node);
  await waitForNodeReady(controller, node, host.agent);
  return host;
}
