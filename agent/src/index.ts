export { startAgent, AGENT_VERSION, type StartAgentOptions, type RunningAgent } from './agent.ts';
export * from './runtime/index.ts';
export * from './converge/index.ts';
export * from './metrics/index.ts';
export * from './connection/index.ts';
export * from './identity/index.ts';
