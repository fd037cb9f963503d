export * from './admit-agent.ts';
export * from './peer.ts';
export * from './node-identities.ts';
