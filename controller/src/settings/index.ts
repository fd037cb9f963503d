export * from './table.ts';
export * from './resolve.ts';
export * from './options.ts';
export { controllerConfigFrom, resolveControllerConfig, type ResolvedControllerConfig } from './controller-config.ts';
