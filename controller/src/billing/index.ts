export * from './cost.ts';
export * from './statement.ts';
