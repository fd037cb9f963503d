// An in-memory container engine for converge tests: no Docker, every call recorded.
import type { ContainerSpec } from '@berth/proto';
import type { ContainerRuntime, CreateRequest, ObservedContainer } from '../runtime/container-runtime.ts';

/** In-memory engine whose create() can be held open to observe what queues up behind it. */
export class FakeRuntime implements ContainerRuntime {
  readonly nodeName = 'fake';
  readonly containers = new Map<string, ObservedContainer>();
  readonly created: string[] = [];
  /** The network each created container was put on, by reservation. */
  readonly networkOf = new Map<string, string | undefined>();
  /** Images the engine does not have; a pull fetches one unless pullError is set. */
  readonly missingImages = new Set<string>();
  pullError: string | undefined;
  readonly pulls: string[] = [];
  readonly starts: string[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private next = 0;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  async listManaged() {
    return [...this.containers.values()];
  }
  async inspect(id: string) {
    return this.containers.get(id);
  }
  async imageExists(image: string) {
    return !this.missingImages.has(image);
  }
  async pull(image: string) {
    this.pulls.push(image);
    if (this.pullError) throw new Error(this.pullError);
    this.missingImages.delete(image);
  }
  async create({ spec, specHash, network }: CreateRequest) {
    this.created.push(spec.reservationId);
    this.networkOf.set(spec.reservationId, network);
    await this.gate;
    const id = `c${this.next++}`;
    this.containers.set(id, {
      id,
      name: spec.name,
      image: spec.image,
      reservationId: spec.reservationId,
      generation: spec.generation,
      specHash,
      state: 'created',
      health: 'none',
      restartCount: 0,
      startedAtMs: 0,
      ports: spec.ports,
      message: '',
      tenant: spec.tenant ?? '',
      ephemeralStorageLimitBytes: 0,
    });
    return id;
  }
  async start(id: string) {
    const c = this.containers.get(id);
    if (!c) return;
    c.state = 'running';
    this.starts.push(c.reservationId);
  }
  async stop(id: string) {
    const c = this.containers.get(id);
    if (c) c.state = 'exited';
  }
  async restart(id: string) {
    await this.start(id);
  }
  async remove(id: string) {
    this.containers.delete(id);
  }
  watchEvents() {
    return () => undefined;
  }
}

export const spec = (reservationId: string, tenant = 'alice'): ContainerSpec => ({
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
