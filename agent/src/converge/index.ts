export * from './plan.ts';
export * from './apply.ts';
export * from './report.ts';
export * from './spec-hash.ts';
export * from './pull-backoff.ts';
export * from './converge-loop.ts';
