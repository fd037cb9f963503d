// The Berth-labelled tenant networks of one node on the Docker engine.
import type Docker from 'dockerode';
import { LABELS } from '../runtime/container-runtime.ts';
import { SANDBOX_LABELS } from '../runtime/pod-sandboxes.ts';
import { engineMessage, isNotFound } from '../runtime/engine-error.ts';
import type { ObservedNetwork } from './tenant-networks.ts';
import type { RawNetwork } from './network-pool.ts';

/** Label of a network created as a spare for the pool (it never carries a tenant label). */
export const SPARE_LABEL = 'berth.spare-network';

/** Port to the engine's networks, as the converge loop needs it. */
export interface TenantNetworkHost {
  list(): Promise<ObservedNetwork[]>;
  create(name: string, tenant: string): Promise<void>;
  /** A network already gone is not an error. */
  remove(id: string): Promise<void>;
  /** The network a tenant was given other than by its name (a spare from the pool), if any. */
  nameFor?(tenant: string): string | undefined;
  /** Background upkeep after a pass (the pool's spares). */
  refill?(): Promise<void>;
  /** Networks made ahead for tenants to come (the pool's free spares), as last listed. */
  spareNames?(): readonly string[];
}

export class DockerNetworks implements TenantNetworkHost {
  constructor(
    private readonly docker: Docker,
    private readonly nodeName: string,
  ) {}

  async list(): Promise<ObservedNetwork[]> {
    return (await this.listRaw()).filter((n) => !n.spare).map(({ id, name, tenant }) => ({ id, name, tenant }));
  }

  /** Every Berth network of this node, spares included. */
  async listRaw(): Promise<RawNetwork[]> {
    const networks = await this.docker.listNetworks({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.node}=${this.nodeName}`] } });
    return networks.map((n) => ({ id: n.Id, name: n.Name, tenant: n.Labels?.[LABELS.tenant] ?? '', spare: n.Labels?.[SPARE_LABEL] === 'true' }));
  }

  async create(name: string, tenant: string): Promise<void> {
    await this.createLabelled(name, { [LABELS.tenant]: tenant });
  }

  /** A network for the pool: no tenant yet (labels cannot change; the pool records the owner). */
  async createSpare(name: string): Promise<void> {
    await this.createLabelled(name, { [SPARE_LABEL]: 'true' });
  }

  /** The tenant labels of the containers attached to a network. */
  async attachedTenants(id: string): Promise<string[]> {
    const info = await this.docker.getNetwork(id).inspect();
    const ids = Object.keys((info.Containers ?? {}) as Record<string, unknown>);
    const labels = await Promise.all(ids.map(async (c) => (await this.docker.getContainer(c).inspect()).Config.Labels ?? {}));
    // A warm sandbox (runtime/pod-sandboxes.ts) belongs to no tenant until a container joins it.
    return [...new Set(labels.filter((l) => l[SANDBOX_LABELS.sandbox] !== 'true').map((l) => l[LABELS.tenant] ?? ''))];
  }

  private async createLabelled(name: string, labels: Record<string, string>): Promise<void> {
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        // Said, not left to the engine's defaults (`default-network-opts` can turn IPv6 on): the
        // isolation rules are IPv4 only, so a tenant network must carry no IPv6.
        EnableIPv6: false,
        // The bridge interface carries the network's name, which the isolation rules match.
        Options: { 'com.docker.network.bridge.name': name, 'com.docker.network.bridge.enable_icc': 'true' },
        Labels: { [LABELS.managed]: 'true', [LABELS.node]: this.nodeName, ...labels },
      });
    } catch (err) {
      // A 409 means a network of that name exists without this node's labels (list() would have
      // shown ours): it is not ours to reuse.
      throw new Error(engineMessage(err));
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getNetwork(id).remove();
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(engineMessage(err));
    }
  }
}
