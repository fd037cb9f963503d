export * from './agent-hub.ts';
