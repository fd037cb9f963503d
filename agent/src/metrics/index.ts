export * from './host-stats.ts';
export * from './system-host-stats.ts';
