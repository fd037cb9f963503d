export * from './bootstrap-token.ts';
export * from './token-store.ts';
export * from './join-token-file.ts';
