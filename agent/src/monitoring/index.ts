export * from './container-usage.ts';
export * from './container-logs.ts';
export * from './metrics-server.ts';
