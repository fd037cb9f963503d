export * from './types.ts';
export * from './feasibility.ts';
export * from './ranking.ts';
export * from './schedule.ts';
export * from './window-stats.ts';
export * from './placement-index.ts';
export * from './feasible-starts.ts';
export * from './offers.ts';
