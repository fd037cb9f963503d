export * from './agent-hub.ts';
export * from './agent-tls.ts';
export * from './heartbeat-flusher.ts';
