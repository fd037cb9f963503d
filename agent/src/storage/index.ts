export * from './storage-types.ts';
export * from './plan-storage.ts';
export * from './apply-storage.ts';
export * from './proc-mounts.ts';
export * from './ssh-args.ts';
export * from './docker-volumes.ts';
export * from './host-storage.ts';
