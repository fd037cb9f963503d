import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IsolationBackend } from './iptables-isolation.ts';
import { NodeIsolation } from './node-isolation.ts';
import { renderedChain } from './isolation-rules.ts';

/** A packet filter in memory: holds whatever text was last applied, or what a test puts there. */
class FakeFilter implements IsolationBackend {
  kernel = '';
  applies = 0;
  async apply(text: string) {
    this.applies++;
    this.kernel = text;
  }
  async holds(text: string) {
    return this.kernel === text;
  }
}

const protectedOf = (text: string) =>
  renderedChain(text, 'BERTH-ISOLATION')
    .filter((l) => l.includes('ctorigdst'))
    .map((l) => /--ctorigdst (\S+)/.exec(l)![1]);

describe('NodeIsolation', () => {
  it('protects the controller host, this node, the storage node once known and the operator networks', async () => {
    const filter = new FakeFilter();
    let storage: string | undefined;
    const iso = new NodeIsolation({
      controller: 'mgmt.example:7071',
      address: '10.0.0.11',
      protectedNetworks: ['172.30.0.0/16'],
      storageHost: () => storage,
      backend: filter,
      resolve: async () => ['10.0.0.1'],
    });
    await iso.ensure();
    expect(protectedOf(filter.kernel)).toEqual(['10.0.0.1', '10.0.0.11', '172.30.0.0/16']);
    storage = '10.0.5.5';
    await iso.ensure();
    expect(protectedOf(filter.kernel)).toEqual(['10.0.0.1', '10.0.0.11', '10.0.5.5', '172.30.0.0/16']);
  });

  it('looks the controller up once on the converge path and again on each verify, which follows a new address', async () => {
    const filter = new FakeFilter();
    const lookups: string[] = [];
    let answer = '10.0.0.1';
    const iso = new NodeIsolation({
      controller: 'mgmt.example:7071',
      address: '10.0.0.11',
      backend: filter,
      resolve: async (host) => (lookups.push(host), [answer]),
    });
    await iso.ensure();
    await iso.ensure();
    expect(lookups).toEqual(['mgmt.example']);
    answer = '10.0.0.2';
    await iso.verify();
    expect(lookups).toEqual(['mgmt.example', 'mgmt.example']);
    expect(protectedOf(filter.kernel)).toEqual(['10.0.0.2', '10.0.0.11']);
  });

  it('leaves rules the kernel already holds alone (a restarted agent) and applies nothing twice', async () => {
    const filter = new FakeFilter();
    const first = new NodeIsolation({ controller: '10.0.0.1:7071', address: '10.0.0.11', backend: filter });
    await first.ensure();
    expect(filter.applies).toBe(1);
    const restarted = new NodeIsolation({ controller: '10.0.0.1:7071', address: '10.0.0.11', backend: filter });
    await restarted.ensure();
    await restarted.ensure();
    expect(filter.applies).toBe(1);
  });

  it('puts the rules back when the kernel lost them, at the next verification', async () => {
    const filter = new FakeFilter();
    const iso = new NodeIsolation({ controller: '10.0.0.1:7071', address: '10.0.0.11', backend: filter });
    await iso.ensure();
    const applied = filter.kernel;
    filter.kernel = ''; // someone flushed the chains
    await iso.ensure();
    expect(filter.kernel).toBe('');
    await iso.verify();
    expect(filter.kernel).toBe(applied);
    await iso.verify();
    expect(filter.applies).toBe(2);
  });

  it('keeps protecting the last known address while the resolver fails, and refuses to guess without one', async () => {
    const filter = new FakeFilter();
    let answer: string[] | undefined = ['10.0.0.1'];
    const resolve = async () => {
      if (!answer) throw new Error('ENOTFOUND');
      return answer;
    };
    const iso = new NodeIsolation({ controller: 'mgmt:7071', address: '10.0.0.11', backend: filter, resolve });
    await iso.ensure();
    answer = undefined;
    await iso.ensure();
    expect(protectedOf(filter.kernel)).toContain('10.0.0.1');
    const fresh = new NodeIsolation({ controller: 'mgmt:7071', address: '10.0.0.11', backend: filter, resolve });
    await expect(fresh.ensure()).rejects.toThrow(/cannot resolve mgmt to protect it from containers: ENOTFOUND/);
  });

  it('fails when the packet filter refuses the rules', async () => {
    const backend: IsolationBackend = {
      apply: async () => {
        throw new Error('iptables-restore: Permission denied');
      },
      holds: async () => false,
    };
    const iso = new NodeIsolation({ controller: '10.0.0.1:7071', address: '10.0.0.11', backend });
    await expect(iso.ensure()).rejects.toThrow(/Permission denied/);
  });

  it('after a restart keeps protecting the storage node it knew before the controller names it again', async () => {
    const filter = new FakeFilter();
    const stateFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'berth-isolation-')), 'isolation.json');
    const before = new NodeIsolation({ controller: '10.0.0.1:7071', address: '10.0.0.11', backend: filter, stateFile, storageHost: () => '10.0.5.5' });
    await before.ensure();
    const restarted = new NodeIsolation({ controller: '10.0.0.1:7071', address: '10.0.0.11', backend: filter, stateFile, storageHost: () => undefined });
    await restarted.ensure();
    expect(protectedOf(filter.kernel)).toContain('10.0.5.5');
    expect(filter.applies).toBe(1);
  });
});
