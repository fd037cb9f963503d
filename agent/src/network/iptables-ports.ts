// The agent's port forwards in the kernel: its own nat chain, applied atomically, hooked once from
// PREROUTING and OUTPUT. Nothing else is ever changed or removed.
import { renderedChain } from './isolation-rules.ts';
import { PORT_JUMPS, PORTS_CHAIN, portJumpListing, type PortJump } from './port-forwards.ts';
import { runCommand } from '../run-command.ts';

const NAT = ['-w', '5', '-t', 'nat'];

/** Port to the packet filter, so the orchestration can be tested without one. */
export interface PortsBackend {
  /** Replaces the agent's nat chain with the rendered rules and hooks it exactly once. */
  apply(text: string): Promise<void>;
  /** Whether the kernel holds exactly these rules, each hook once. */
  holds(text: string): Promise<boolean>;
}

export type CommandRunner = (command: string, args: readonly string[], input?: string) => Promise<string>;

export class IptablesPorts implements PortsBackend {
  /** run: a test prefixes its own network namespace; the agent uses the node's. */
  constructor(private readonly run: CommandRunner = runCommand) {}

  async apply(text: string): Promise<void> {
    await this.run('iptables-restore', ['-w', '5', '--noflush'], text);
    for (const jump of PORT_JUMPS) await this.ensureOnce(jump);
  }

  async holds(text: string): Promise<boolean> {
    const listed = await this.listChain(PORTS_CHAIN).catch(() => undefined);
    if (!listed) return false;
    const rules = listed.filter((l) => l.startsWith('-A '));
    if (rules.join('\n') !== renderedChain(text, PORTS_CHAIN).join('\n')) return false;
    for (const jump of PORT_JUMPS) if ((await this.countJump(jump)) !== 1) return false;
    return true;
  }

  /** Unhooks and deletes the agent's chain (uninstall, tests); never called on a normal stop. */
  async teardown(): Promise<void> {
    for (const jump of PORT_JUMPS) {
      const count = await this.countJump(jump).catch(() => 0);
      for (let i = 0; i < count; i++) await this.run('iptables', [...NAT, '-D', jump.chain, ...jump.args]);
    }
    if (!(await this.listChain(PORTS_CHAIN).catch(() => undefined))) return;
    await this.run('iptables', [...NAT, '-F', PORTS_CHAIN]);
    await this.run('iptables', [...NAT, '-X', PORTS_CHAIN]);
  }

  private async listChain(chain: string): Promise<string[]> {
    return (await this.run('iptables', [...NAT, '-S', chain])).split('\n');
  }

  private async countJump(jump: PortJump): Promise<number> {
    return (await this.listChain(jump.chain)).filter((l) => l === portJumpListing(jump)).length;
  }

  /** First in its chain when missing; only duplicates of our own hook are ever deleted. */
  private async ensureOnce(jump: PortJump): Promise<void> {
    const count = await this.countJump(jump);
    if (count === 0) await this.run('iptables', [...NAT, '-I', jump.chain, '1', ...jump.args]);
    for (let i = 1; i < count; i++) await this.run('iptables', [...NAT, '-D', jump.chain, ...jump.args]);
  }
}
