// Shapes shared by the pure storage planner and the code that touches Docker volumes and FUSE.

/** A Berth-labelled Docker volume of this node (local profile). */
export interface ObservedVolume {
  name: string;
  reservationId: string;
}

/** A mount under the agent's mount root (remote profile), as /proc/mounts lists it. */
export interface ObservedMount {
  reservationId: string;
  mountPoint: string;
  fsType: string;
  /** false: an sshfs mount whose sshfs process is gone (every access fails); absent: alive. */
  alive?: boolean;
}

export interface StorageObservation {
  volumes: ObservedVolume[];
  mounts: ObservedMount[];
}

/** Where this node keeps reservation storage; names derive from it and the reservation id. */
export interface StorageLayout {
  nodeName: string;
  /** Directory whose children are the per-reservation sshfs mount points. */
  mountRoot: string;
}

export type StorageAction =
  | { kind: 'create-volume'; reservationId: string; volume: string }
  | { kind: 'mount-remote'; reservationId: string; mountPoint: string }
  /** The mount is there but dead: unmount it and mount again (its container must restart). */
  | { kind: 'remount'; reservationId: string; mountPoint: string }
  | { kind: 'remove-volume'; reservationId: string; volume: string }
  | { kind: 'unmount'; reservationId: string; mountPoint: string }
  /** The spec cannot get storage at all (e.g. the image declares no data path). */
  | { kind: 'reject'; reservationId: string; message: string };

/** What the container engine mounts into a container. */
export interface ContainerMount {
  type: 'volume' | 'bind';
  source: string;
  target: string;
}

/** Port to the node's storage: Docker volumes and sshfs mounts. */
export interface StorageHost {
  observe(): Promise<StorageObservation>;
  createVolume(name: string, reservationId: string): Promise<void>;
  removeVolume(name: string): Promise<void>;
  /** Creates the reservation's directory on the storage node and mounts it at mountPoint. */
  mountRemote(reservationId: string, mountPoint: string): Promise<void>;
  /** Unmounts (lazily, so a hung storage node cannot block) and removes the empty mount point. */
  unmount(mountPoint: string): Promise<void>;
  /** host:/base/<id>, for reports; '' when no storage node is configured. */
  remoteSource(reservationId: string): string;
}
