export * from './types.ts';
export * from './check-quota.ts';
