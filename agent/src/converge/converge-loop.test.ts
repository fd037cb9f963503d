import { describe, expect, it } from 'vitest';
import type { ContainerReport } from '@berth/proto';
import { ConvergeLoop } from './converge-loop.ts';
import { FakeRuntime, spec } from './fake-runtime.testkit.ts';
import { tenantNetworkName, type ObservedNetwork, type TenantNetworkHost } from '../network/index.ts';

/** Networks in memory; records the order of events against the runtime's creates. */
class FakeNetworks implements TenantNetworkHost {
  readonly networks = new Map<string, ObservedNetwork>();
  constructor(private readonly events: string[]) {}
  async list() {
    return [...this.networks.values()];
  }
  async create(name: string, tenant: string) {
    this.events.push(`network ${tenant}`);
    this.networks.set(name, { id: name, name, tenant });
  }
  async remove(id: string) {
    this.events.push(`remove ${this.networks.get(id)?.tenant}`);
    this.networks.delete(id);
  }
}

describe('ConvergeLoop', () => {
  it('applies only the latest desired state after a busy pass, skipping the ones in between', async () => {
    const runtime = new FakeRuntime();
    const reports: ContainerReport[] = [];
    const loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r) });
    runtime.hold();
    const first = loop.setDesired({ version: 1, containers: [spec('a')] });
    void loop.setDesired({ version: 2, containers: [spec('b')] });
    const last = loop.setDesired({ version: 3, containers: [spec('c')] });
    runtime.release();
    await Promise.all([first, last]);

    expect(reports.map((r) => r.appliedVersion)).toEqual([1, 3]);
    expect(runtime.created).toEqual(['a', 'c']);
    expect(reports.at(-1)!.containers.map((c) => [c.reservationId, c.state])).toEqual([['c', 'running']]);
  });

  it('reports what it observes before any desired state arrives, without changing anything', async () => {
    const runtime = new FakeRuntime();
    await runtime.create({ spec: spec('left-over'), specHash: 'x' });
    const reports: ContainerReport[] = [];
    const loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r) });
    await loop.trigger();
    expect(reports).toHaveLength(1);
    expect(reports[0].appliedVersion).toBe(0);
    expect(reports[0].containers.map((c) => c.reservationId)).toEqual(['left-over']);
    expect(runtime.containers.size).toBe(1);
  });

  it('creates each tenant network before its containers and puts every container on its tenant network', async () => {
    const runtime = new FakeRuntime();
    const events: string[] = [];
    const networks = new FakeNetworks(events);
    const origCreate = runtime.create.bind(runtime);
    runtime.create = async (req) => {
      events.push(`container ${req.spec.reservationId}`);
      return origCreate(req);
    };
    const loop = new ConvergeLoop({ runtime, onReport: () => undefined, networks: { host: networks, lingerMs: 0 } });
    await loop.setDesired({ version: 1, containers: [spec('a1'), spec('a2'), spec('b1', 'bob')] });
    expect(events.slice(0, 2).sort()).toEqual(['network alice', 'network bob']);
    expect(events.slice(2)).toEqual(['container a1', 'container a2', 'container b1']);
    expect(runtime.networkOf).toEqual(
      new Map([
        ['a1', tenantNetworkName('fake', 'alice')],
        ['a2', tenantNetworkName('fake', 'alice')],
        ['b1', tenantNetworkName('fake', 'bob')],
      ]),
    );

    await loop.setDesired({ version: 2, containers: [spec('a1')] });
    expect(events.slice(5)).toEqual(['remove bob']);
    expect([...networks.networks.values()].map((n) => n.tenant)).toEqual(['alice']);
  });

  it('starts nothing while the isolation rules cannot be put in place, and says why', async () => {
    const runtime = new FakeRuntime();
    const reports: ContainerReport[] = [];
    let broken = true;
    const isolation = {
      ensure: async () => {
        if (broken) throw new Error('iptables-restore: Permission denied');
      },
    };
    const loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r), isolation });
    await loop.setDesired({ version: 1, containers: [spec('a1')] });
    expect(runtime.created).toEqual([]);
    expect(reports.at(-1)!.containers).toEqual([
      expect.objectContaining({ reservationId: 'a1', state: 'failed', message: 'network isolation unavailable: iptables-restore: Permission denied' }),
    ]);
    broken = false;
    await loop.trigger();
    expect(reports.at(-1)!.containers).toEqual([expect.objectContaining({ reservationId: 'a1', state: 'running', message: '' })]);
  });

  it('does not start a container again that was stopped for its disk use, and reports it failed', async () => {
    const runtime = new FakeRuntime();
    const reports: ContainerReport[] = [];
    const evicted = new Set<string>();
    const ephemeral = { evicted: (id: string) => (evicted.has(id) ? 'EphemeralStorageExceeded: full' : undefined), usedBytes: () => undefined };
    const loop = new ConvergeLoop({ runtime, onReport: (r) => reports.push(r), ephemeral });
    await loop.setDesired({ version: 1, containers: [spec('a1')] });
    const [id] = runtime.containers.keys();
    evicted.add(id);
    await runtime.stop(id);
    await loop.trigger();
    expect(runtime.containers.get(id)!.state).toBe('exited');
    expect(reports.at(-1)!.containers).toEqual([expect.objectContaining({ containerId: id, state: 'failed', message: 'EphemeralStorageExceeded: full' })]);
  });
});
