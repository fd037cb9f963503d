// The Berth-labelled tenant networks of one node on the Docker engine.
import type Docker from 'dockerode';
import { LABELS } from '../runtime/container-runtime.ts';
import { engineMessage, isNotFound } from '../runtime/engine-error.ts';
import type { ObservedNetwork } from './tenant-networks.ts';

/** Port to the engine's networks, as the converge loop needs it. */
export interface TenantNetworkHost {
  list(): Promise<ObservedNetwork[]>;
  create(name: string, tenant: string): Promise<void>;
  /** A network already gone is not an error. */
  remove(id: string): Promise<void>;
}

export class DockerNetworks implements TenantNetworkHost {
  constructor(
    private readonly docker: Docker,
    private readonly nodeName: string,
  ) {}

  async list(): Promise<ObservedNetwork[]> {
    const networks = await this.docker.listNetworks({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.node}=${this.nodeName}`] } });
    return networks.map((n) => ({ id: n.Id, name: n.Name, tenant: n.Labels?.[LABELS.tenant] ?? '' }));
  }

  async create(name: string, tenant: string): Promise<void> {
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
        Labels: { [LABELS.managed]: 'true', [LABELS.node]: this.nodeName, [LABELS.tenant]: tenant },
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
