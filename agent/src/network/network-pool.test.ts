import { describe, expect, it } from 'vitest';
import { spareNetworkName, sparesToCreate, viewPool, type RawNetwork } from './network-pool.ts';

const net = (name: string, o: Partial<RawNetwork> = {}): RawNetwork => ({ id: `id-${name}`, name, tenant: '', spare: true, ...o });

describe('viewPool', () => {
  it('gives each tenant its own networks and its assigned spares, and frees only recorded free spares', () => {
    const view = viewPool([net('berth-own', { tenant: 'alice', spare: false }), net('berth-s1'), net('berth-s2'), net('berth-s3')], {
      assigned: new Map([['berth-s1', 'bob']]),
      free: new Set(['berth-s3', 'berth-s2']),
    });
    expect([...view.tenants]).toEqual([
      ['berth-own', { id: 'id-berth-own', tenant: 'alice' }],
      ['berth-s1', { id: 'id-berth-s1', tenant: 'bob' }],
    ]);
    expect(view.free).toEqual(['berth-s2', 'berth-s3']);
    expect(view.tainted).toEqual([]);
  });

  it('never frees a spare the record does not name (it may have carried a tenant): it is tainted', () => {
    const view = viewPool([net('berth-s1'), net('berth-s2')], { assigned: new Map(), free: new Set(['berth-s2']) });
    expect(view.free).toEqual(['berth-s2']);
    expect(view.tainted.map((n) => n.name)).toEqual(['berth-s1']);
  });

  it('never frees a spare that was assigned, even if the record also lists it as free', () => {
    const view = viewPool([net('berth-s1')], { assigned: new Map([['berth-s1', 'bob']]), free: new Set(['berth-s1']) });
    expect(view.free).toEqual([]);
    expect(view.tenants.get('berth-s1')?.tenant).toBe('bob');
  });

  it('names recorded networks that are gone, to be forgotten', () => {
    const view = viewPool([net('berth-s2')], { assigned: new Map([['berth-s1', 'bob']]), free: new Set(['berth-s2', 'berth-s9']) });
    expect(view.stale.sort()).toEqual(['berth-s1', 'berth-s9']);
  });
});

describe('spares', () => {
  it('creates only what is missing from the target', () => {
    expect([sparesToCreate(0, 2), sparesToCreate(1, 2), sparesToCreate(3, 2)]).toEqual([2, 1, 0]);
  });

  it('names a spare like a tenant network: the prefix the isolation rules match, 15 characters at most', () => {
    const name = spareNetworkName(Buffer.from('0123456789abcdef', 'hex'));
    expect(name).toBe('berth-012345678');
    expect(spareNetworkName()).toMatch(/^berth-[0-9a-f]{9}$/);
  });
});
