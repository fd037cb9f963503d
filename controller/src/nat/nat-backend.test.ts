import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createNatBackend } from './nat-backend.ts';
import { runCommand } from './run-command.ts';

const log = pino({ level: 'silent' });

describe('createNatBackend', () => {
  it('gives the forwarder or iptables when asked for one by name', async () => {
    expect((await createNatBackend({ mode: 'userspace', log })).kind).toBe('userspace');
    expect((await createNatBackend({ mode: 'iptables', log, chainPrefix: 'BTNEVER' })).kind).toBe('iptables');
  });

  it('picks iptables in auto mode when root can list the rules, as on the test machines', async () => {
    expect(process.getuid?.()).toBe(0);
    await runCommand('iptables', ['-w', '5', '-L', '-n']);
    expect((await createNatBackend({ mode: 'auto', log })).kind).toBe('iptables');
  });
});
