export * from '../client-config/index.ts';
export * from './deps.ts';
export * from './format.ts';
export * from './http-client.ts';
export * from './kinds.ts';
export * from './load-manifests.ts';
export * from './report-error.ts';
export * from './types.ts';
export { buildProgram, main } from './main.ts';
