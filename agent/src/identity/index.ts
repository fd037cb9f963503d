export * from './client-identity.ts';
export * from './identity-files.ts';
export * from './memory-identity.ts';
