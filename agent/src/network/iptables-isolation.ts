// The agent's isolation rules in the kernel: its own two chains, applied atomically, hooked once
// from DOCKER-USER and INPUT. Nothing else is ever changed or removed.
import { ISOLATION_CHAIN, ISOLATION_INPUT_CHAIN, ISOLATION_JUMPS, jumpListing, renderedChain, type JumpRule } from './isolation-rules.ts';
import { runCommand } from '../run-command.ts';

const WAIT = ['-w', '5'];

/** Port to the packet filter, so the orchestration can be tested without one. */
export interface IsolationBackend {
  /** Replaces the agent's chains with the rendered rules and hooks each exactly once. */
  apply(text: string): Promise<void>;
  /** Whether the kernel holds exactly these rules, each hook once. */
  holds(text: string): Promise<boolean>;
}

export class IptablesIsolation implements IsolationBackend {
  async apply(text: string): Promise<void> {
    // Checked first: without the engine's chain the hook would hang off nothing.
    await listChain('DOCKER-USER').catch((err: Error) => {
      throw new Error(`the engine's DOCKER-USER chain is missing (is dockerd running with iptables enabled?): ${err.message}`);
    });
    await runCommand('iptables-restore', [...WAIT, '--noflush'], text);
    for (const jump of ISOLATION_JUMPS) await ensureOnce(jump);
  }

  async holds(text: string): Promise<boolean> {
    for (const chain of [ISOLATION_CHAIN, ISOLATION_INPUT_CHAIN]) {
      const listed = await listChain(chain).catch(() => undefined);
      if (!listed) return false;
      const rules = listed.filter((l) => l.startsWith('-A '));
      if (rules.join('\n') !== renderedChain(text, chain).join('\n')) return false;
    }
    for (const jump of ISOLATION_JUMPS) if ((await countJump(jump)) !== 1) return false;
    return true;
  }

  /** Unhooks and deletes the agent's chains (uninstall, tests); never called on a normal stop. */
  async teardown(): Promise<void> {
    for (const jump of ISOLATION_JUMPS) {
      const count = await countJump(jump).catch(() => 0);
      for (let i = 0; i < count; i++) await runCommand('iptables', [...WAIT, '-D', jump.chain, '-j', jump.target]);
    }
    for (const chain of [ISOLATION_CHAIN, ISOLATION_INPUT_CHAIN]) {
      if (!(await listChain(chain).catch(() => undefined))) continue;
      await runCommand('iptables', [...WAIT, '-F', chain]);
      await runCommand('iptables', [...WAIT, '-X', chain]);
    }
  }
}

async function listChain(chain: string): Promise<string[]> {
  return (await runCommand('iptables', [...WAIT, '-S', chain])).split('\n');
}

async function countJump(jump: JumpRule): Promise<number> {
  return (await listChain(jump.chain)).filter((l) => l === jumpListing(jump)).length;
}

/** First in its chain when missing; only duplicates of our own hook are ever deleted. */
async function ensureOnce(jump: JumpRule): Promise<void> {
  const count = await countJump(jump);
  if (count === 0) await runCommand('iptables', [...WAIT, '-I', jump.chain, '1', '-j', jump.target]);
  for (let i = 1; i < count; i++) await runCommand('iptables', [...WAIT, '-D', jump.chain, '-j', jump.target]);
}
