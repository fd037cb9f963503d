export * from './engine-health.ts';
export * from './engine-monitor.ts';
export * from './docker-ping.ts';
