export * from './container-usage.ts';
export * from './container-logs.ts';
// metrics-server.ts is imported by its path, only when a metrics port is asked for: prom-client
// costs the agent ~10 MB of memory.
export type { MetricsServer } from './metrics-server.ts';
export * from './ephemeral-storage.ts';
export * from './ephemeral-storage-monitor.ts';
export * from './evictions.ts';
