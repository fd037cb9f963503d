export * from './exec-checks.ts';
export * from './exec-manager.ts';
export * from './mux-reader.ts';
export * from './process-tree.ts';
