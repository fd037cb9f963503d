export * from './backoff.ts';
export * from './controller-connection.ts';
