import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@berth/proto';
import type { ObservedContainer } from '../runtime/container-runtime.ts';
import { planNetworkRelease, planNetworkSetup, tenantNetworkName, tenantOf, TENANT_NETWORK_PREFIX } from './tenant-networks.ts';

const spec = (reservationId: string, tenant: string): ContainerSpec => ({
  reservationId,
  generation: 1,
  name: reservationId,
  image: 'img',
  cpus: 1,
  memoryBytes: 1,
  ports: [],
  env: {},
  profile: 'ephemeral',
  dataPath: '',
  tenant,
});
const container = (reservationId: string, tenant: string): ObservedContainer => ({
  id: `c-${reservationId}`,
  name: reservationId,
  image: 'img',
  reservationId,
  generation: 1,
  specHash: 'h',
  state: 'running',
  health: 'none',
  restartCount: 0,
  startedAtMs: 1,
  ports: [],
  message: '',
  tenant,
  ephemeralStorageLimitBytes: 0,
});
const net = (node: string, tenant: string) => ({ id: `id-${tenant}`, name: tenantNetworkName(node, tenant), tenant });

describe('tenantNetworkName', () => {
  it('is a valid bridge interface name, stable, and distinct per node and per tenant', () => {
    const name = tenantNetworkName('cn1', 'alice');
    expect(name).toMatch(new RegExp(`^${TENANT_NETWORK_PREFIX}[0-9a-f]{9}$`));
    expect(name.length).toBeLessThanOrEqual(15);
    expect(tenantNetworkName('cn1', 'alice')).toBe(name);
    expect(tenantNetworkName('cn1', 'bob')).not.toBe(name);
    expect(tenantNetworkName('cn2', 'alice')).not.toBe(name);
  });

  it('gives a container with no known owner a network of its own', () => {
    expect(tenantOf(spec('r1', ''))).not.toBe(tenantOf(spec('r2', '')));
    expect(tenantOf(spec('r1', 'alice'))).toBe('alice');
  });
});

describe('planNetworkSetup', () => {
  it('creates one network per tenant that lacks one, and nothing once they exist', () => {
    const desired = [spec('a1', 'alice'), spec('a2', 'alice'), spec('b1', 'bob')];
    const actions = planNetworkSetup(desired, [net('cn1', 'bob')], 'cn1');
    expect(actions).toEqual([{ kind: 'create', name: tenantNetworkName('cn1', 'alice'), tenant: 'alice' }]);
    expect(planNetworkSetup(desired, [net('cn1', 'alice'), net('cn1', 'bob')], 'cn1')).toEqual([]);
  });

  it('counts a spare given to a tenant (another name) as its network', () => {
    const spare = { id: 'n-spare', name: 'berth-0a1b2c3d4', tenant: 'alice' };
    expect(planNetworkSetup([spec('a1', 'alice')], [spare], 'cn1')).toEqual([]);
  });
});

describe('planNetworkRelease', () => {
  const linger = 60_000;

  it('keeps networks a desired spec or a remaining container still uses', () => {
    const networks = [net('cn1', 'alice'), net('cn1', 'bob')];
    const r = planNetworkRelease([spec('a1', 'alice')], networks, [container('b9', 'bob')], new Map(), 1000, linger);
    expect(r).toEqual({ actions: [], idleSince: new Map() });
  });

  it('removes an unused network only after it has been idle for the linger time', () => {
    const networks = [net('cn1', 'alice')];
    const first = planNetworkRelease([], networks, [], new Map(), 1000, linger);
    expect(first.actions).toEqual([]);
    expect(first.idleSince).toEqual(new Map([[networks[0].name, 1000]]));
    expect(planNetworkRelease([], networks, [], first.idleSince, 1000 + linger - 1, linger).actions).toEqual([]);
    expect(planNetworkRelease([], networks, [], first.idleSince, 1000 + linger, linger).actions).toEqual([
      { kind: 'remove', id: 'id-alice', name: networks[0].name, tenant: 'alice' },
    ]);
  });

  it('forgets the idle time of a network that is used again', () => {
    const networks = [net('cn1', 'alice')];
    const idle = new Map([[networks[0].name, 0]]);
    expect(planNetworkRelease([spec('a1', 'alice')], networks, [], idle, linger * 2, linger)).toEqual({ actions: [], idleSince: new Map() });
  });
});
