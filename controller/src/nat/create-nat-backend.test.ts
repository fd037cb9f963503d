import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createNatBackend } from './create-nat-backend.ts';
import { runCommand } from './run-command.ts';

const log = pino({ level: 'silent' });

describe('createNatBackend', () => {
  it('gives the forwarder or iptables when asked for one by name', async () => {
    expect((await createNatBackend({ mode: 'userspace', log })).kind).toBe('userspace');
    expect((await createNatBackend({ mode: 'iptables', log, chainPrefix: 'BTNEVER' })).kind).toBe('iptables');
  });

  // Holds on any machine: on CI (root, iptables) it proves auto picks iptables; as a user, or
  // without iptables (`npm run test:unit` on a laptop), that it falls back to the forwarder.
  it('picks iptables in auto mode exactly when it runs as root and can list the rules, else the forwarder', async () => {
    const canList = await runCommand('iptables', ['-w', '5', '-L', '-n']).then(
      () => true,
      () => false,
    );
    const expected = process.getuid?.() === 0 && canList ? 'iptables' : 'userspace';
    expect((await createNatBackend({ mode: 'auto', log })).kind).toBe(expected);
  });
});
