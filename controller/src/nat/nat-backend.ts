import type { Logger } from 'pino';
import type { NatEndpoint } from './endpoint.ts';
import { IptablesNat } from './iptables-backend.ts';
import { runCommand } from './run-command.ts';
import { UserspaceNat } from './userspace-forwarder.ts';

/** Makes the public endpoints match exactly the full desired set it is given, every time. */
export interface NatBackend {
  readonly kind: 'iptables' | 'userspace';
  /** Level-triggered and idempotent: `endpoints` is the whole desired set, not a change. */
  sync(endpoints: NatEndpoint[]): Promise<void>;
  /** Stops this process's part; iptables rules deliberately survive so a restart keeps serving. */
  close(): Promise<void>;
}

export type NatMode = 'auto' | 'iptables' | 'userspace';

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
