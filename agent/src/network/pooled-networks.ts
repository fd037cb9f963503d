// Tenant networks with a warm pool of spares (see network-pool.ts). Which spares are free and
// which belong to which tenant is written to the agent's state dir, the assignment before the
// tenant's first container is created on it, so an agent restart rebuilds the same mapping and a
// used spare is never handed out again.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pino from 'pino';
import type { DockerNetworks, TenantNetworkHost } from './docker-networks.ts';
import { DEFAULT_SPARE_NETWORKS, spareNetworkName, sparesToCreate, viewPool, type PoolRecord, type PoolView } from './network-pool.ts';
import type { ObservedNetwork } from './tenant-networks.ts';

export interface PooledNetworksOptions {
  networks: DockerNetworks;
  /** JSON file: { "assigned": { network: tenant }, "free": [network] }. */
  stateFile: string;
  spares?: number;
  log?: pino.Logger;
}

export class PooledNetworks implements TenantNetworkHost {
  private record: PoolRecord = { assigned: new Map(), free: new Set() };
  private view: PoolView = { tenants: new Map(), free: [], tainted: [], stale: [] };
  private refilling: Promise<void> | undefined;
  /** Writes go one after another (the refill runs beside converge passes); each writes the latest record. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly o: PooledNetworksOptions) {}

  /** Reads the record; without one every existing spare counts as possibly used (tainted). */
  async load(): Promise<void> {
    try {
      const raw = JSON.parse(await readFile(this.o.stateFile, 'utf8')) as { assigned?: Record<string, unknown>; free?: unknown };
      const assigned = Object.entries(raw.assigned ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');
      const free = Array.isArray(raw.free) ? raw.free.filter((n): n is string => typeof n === 'string') : [];
      this.record = { assigned: new Map(assigned), free: new Set(free.filter((n) => !raw.assigned?.[n])) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.o.log?.error({ err: String(err) }, 'tenant network record unreadable; unused spares are replaced');
      this.record = { assigned: new Map(), free: new Set() };
    }
  }

  async list(): Promise<ObservedNetwork[]> {
    this.view = viewPool(await this.o.networks.listRaw(), this.record);
    if (this.view.stale.length) {
      for (const name of this.view.stale) this.forget(name);
      await this.save();
    }
    return [...this.view.tenants].map(([name, { id, tenant }]) => ({ id, name, tenant }));
  }

  spareNames(): readonly string[] {
    return this.view.free;
  }

  /** The tenant's network when it took a spare; undefined: its own (named after it) or none yet. */
  nameFor(tenant: string): string | undefined {
    for (const [name, t] of this.record.assigned) if (t === tenant) return name;
    return undefined;
  }

  /** Hands the tenant a free spare (recorded first), else creates the tenant's own network. */
  async create(name: string, tenant: string): Promise<void> {
    const spare = this.view.free.shift();
    if (spare === undefined) return this.o.networks.create(name, tenant);
    this.record.free.delete(spare);
    this.record.assigned.set(spare, tenant);
    await this.save();
    this.o.log?.info({ network: spare, tenant }, 'spare network assigned');
  }

  async remove(id: string): Promise<void> {
    await this.o.networks.remove(id);
    const name = [...this.view.tenants].find(([, n]) => n.id === id)?.[0];
    if (name && this.record.assigned.has(name)) {
      this.forget(name);
      await this.save();
    }
  }

  /**
   * Brings the free spares up to the target and clears tainted ones, one run at a time, off any
   * container's path. A failure waits for the next call.
   */
  refill(): Promise<void> {
    this.refilling ??= this.refillOnce().finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async refillOnce(): Promise<void> {
    try {
      const view = viewPool(await this.o.networks.listRaw(), this.record);
      await this.clearTainted(view);
      for (let i = 0; i < sparesToCreate(view.free.length, this.o.spares ?? DEFAULT_SPARE_NETWORKS); i++) {
        const name = spareNetworkName();
        // Recorded after the engine made it: a crash in between leaves a tainted spare, removed later.
        await this.o.networks.createSpare(name);
        this.record.free.add(name);
        await this.save();
        this.o.log?.debug({ network: name }, 'spare network created');
      }
    } catch (err) {
      this.o.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'spare networks not refilled');
    }
  }

  /** An empty tainted spare goes; one in use is its tenant's if all its containers are one tenant's. */
  private async clearTainted(view: PoolView): Promise<void> {
    for (const n of view.tainted) {
      const tenants = await this.o.networks.attachedTenants(n.id);
      if (tenants.length === 0) await this.o.networks.remove(n.id);
      else if (tenants.length === 1 && tenants[0]) {
        this.record.assigned.set(n.name, tenants[0]);
        await this.save();
      } else this.o.log?.error({ network: n.name, tenants: tenants.length }, 'spare network of unknown owner in use; never handed out');
    }
  }

  private forget(name: string): void {
    this.record.assigned.delete(name);
    this.record.free.delete(name);
  }

  private save(): Promise<void> {
    const write = async () => {
      await mkdir(path.dirname(this.o.stateFile), { recursive: true, mode: 0o700 });
      const tmp = `${this.o.stateFile}.${process.pid}.tmp`;
      const body = { assigned: Object.fromEntries(this.record.assigned), free: [...this.record.free].sort() };
      await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
      await rename(tmp, this.o.stateFile);
    };
    this.saving = this.saving.then(write, write);
    return this.saving;
  }
}
