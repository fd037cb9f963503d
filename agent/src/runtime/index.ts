export * from './container-runtime.ts';
export * from './docker-runtime.ts';
export * from './docker-host.ts';
export * from './engine-error.ts';
export * from './hardening.ts';
export * from './pod-sandboxes.ts';
