export * from './ca.ts';
export * from './contexts.ts';
export * from './file.ts';
export * from './resolve.ts';
export * from './admin-context.ts';
