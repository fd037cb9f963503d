export * from './capacity-index.ts';
export * from './admission-guard.ts';
