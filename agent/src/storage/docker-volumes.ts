// Berth-labelled Docker named volumes of one node (the local profile).
import type Docker from 'dockerode';
import { LABELS } from '../runtime/container-runtime.ts';
import { engineMessage, isNotFound } from '../runtime/engine-error.ts';
import type { ObservedVolume } from './storage-types.ts';

export class DockerVolumes {
  constructor(
    private readonly docker: Docker,
    private readonly nodeName: string,
  ) {}

  async list(): Promise<ObservedVolume[]> {
    const res = (await this.docker.listVolumes({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.node}=${this.nodeName}`] } } as never)) as unknown as {
      Volumes?: Array<{ Name: string; Labels?: Record<string, string> | null }>;
    };
    return (res.Volumes ?? []).map((v) => ({ name: v.Name, reservationId: v.Labels?.[LABELS.reservation] ?? '' })).filter((v) => v.reservationId);
  }

  async create(name: string, reservationId: string): Promise<void> {
    try {
      await this.docker.createVolume({
        Name: name,
        Labels: { [LABELS.managed]: 'true', [LABELS.node]: this.nodeName, [LABELS.reservation]: reservationId },
      });
    } catch (err) {
      throw new Error(engineMessage(err));
    }
  }

  /** A missing volume is not an error: the release already happened. */
  async remove(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(engineMessage(err));
    }
  }
}
