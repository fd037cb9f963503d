export * from './build-server.ts';
