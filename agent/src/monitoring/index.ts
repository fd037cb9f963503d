export * from './container-usage.ts';
export * from './container-logs.ts';
export * from './metrics-server.ts';
export * from './ephemeral-storage.ts';
export * from './ephemeral-storage-monitor.ts';
export * from './evictions.ts';
