import type { ContainerSecurity, ContainerSpec, PortBinding } from '@berth/proto';

/** Labels that mark a container as Berth's; containers without them are never touched. */
export const LABELS = {
  managed: 'berth.managed',
  node: 'berth.node',
  reservation: 'berth.reservation',
  generation: 'berth.generation',
  specHash: 'berth.spec-hash',
  portNames: 'berth.port-names',
  tenant: 'berth.tenant',
  /** Bytes of disk (writable layer + local volume) past which the agent stops the container. */
  ephemeralStorage: 'berth.ephemeral-storage',
} as const;

/** What the agent knows about one Berth-managed container on this engine. */
export interface ObservedContainer {
  id: string;
  name: string;
  image: string;
  reservationId: string;
  generation: number;
  specHash: string;
  /** docker state: created | running | restarting | paused | exited | removing | dead */
  state: string;
  /** healthy | unhealthy | starting | none */
  health: string;
  restartCount: number;
  startedAtMs: number;
  ports: PortBinding[];
  /** The warm sandbox whose network namespace it joined (runtime/pod-sandboxes.ts), if any. */
  sandboxId?: string;
  /** Exit reason or engine error; empty when there is nothing to say. */
  message: string;
  /** Owner of the reservation; empty for containers created before tenants were known. */
  tenant: string;
  ephemeralStorageLimitBytes: number;
  /** The confinement the engine applied; absent when the runtime cannot tell. */
  security?: ContainerSecurity;
}

export interface CreateRequest {
  spec: ContainerSpec;
  specHash: string;
  /** Volumes and bind mounts (local / remote storage profiles). */
  mounts?: Array<{ type: 'volume' | 'bind'; source: string; target: string }>;
  /** The tenant's network; the engine's default network when absent. */
  network?: string;
}

export interface RuntimeEvent {
  containerId: string;
  action: string;
  reservationId: string;
}

/** Port to the container engine, scoped to one node's Berth-managed containers. */
export interface ContainerRuntime {
  readonly nodeName: string;
  listManaged(): Promise<ObservedContainer[]>;
  /** undefined when the container does not exist or is not this node's Berth container. */
  inspect(containerId: string): Promise<ObservedContainer | undefined>;
  imageExists(ref: string): Promise<boolean>;
  /** Rejects with the engine's own message when the pull fails. */
  pull(ref: string): Promise<void>;
  /** Returns the new container id. */
  create(req: CreateRequest): Promise<string>;
  start(containerId: string): Promise<void>;
  /** Stops it for good: the engine's restart policy does not bring it back. */
  stop(containerId: string): Promise<void>;
  /** Stops and starts it again, so its mounts are bound afresh. */
  restart(containerId: string): Promise<void>;
  /** Force-removes the container with its anonymous volumes; a missing container is not an error. */
  remove(containerId: string): Promise<void>;
  /** Streams container lifecycle events for this node's containers until the returned stop() is called. */
  watchEvents(onEvent: (e: RuntimeEvent) => void): () => void;
}
