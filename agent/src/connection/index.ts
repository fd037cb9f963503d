export * from './backoff.ts';
export * from './controller-connection.ts';
export * from './pinned-credentials.ts';
export * from './with-timeout.ts';
