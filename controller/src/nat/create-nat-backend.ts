// Picks and builds the NAT backend; the interface is in nat-backend.ts, which both backends
// implement without importing this factory.
import type { Logger } from 'pino';
import { IptablesNat } from './iptables-backend.ts';
import type { NatBackend, NatMode } from './nat-backend.ts';
import { runCommand } from './run-command.ts';
import { UserspaceNat } from './userspace-forwarder.ts';

export interface CreateNatBackendOptions {
  mode: NatMode;
  log: Logger;
  chainPrefix?: string;
}

/** `auto` picks iptables when running as root and `iptables -L -n` works, else the userspace forwarder. */
export async function createNatBackend(opts: CreateNatBackendOptions): Promise<NatBackend> {
  const mode = opts.mode === 'auto' ? await detectMode(opts.log) : opts.mode;
  if (mode === 'iptables') return new IptablesNat({ log: opts.log, chainPrefix: opts.chainPrefix });
  return new UserspaceNat({ log: opts.log });
}

async function detectMode(log: Logger): Promise<'iptables' | 'userspace'> {
  if (process.getuid?.() !== 0) {
    log.info({ component: 'nat', reason: 'not root' }, 'nat using userspace forwarder');
    return 'userspace';
  }
  try {
    await runCommand('iptables', ['-w', '5', '-L', '-n']);
    return 'iptables';
  } catch (err) {
    log.info({ component: 'nat', reason: (err as Error).message }, 'nat using userspace forwarder');
    return 'userspace';
  }
}
