export * from './exec-broker.ts';
export * from './exec-frames.ts';
export * from './exec-params.ts';
