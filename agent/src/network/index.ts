export * from './isolation-rules.ts';
export * from './iptables-isolation.ts';
export * from './node-isolation.ts';
export * from './tenant-networks.ts';
export * from './docker-networks.ts';
export * from './apply-networks.ts';
export * from './network-pool.ts';
export * from './pooled-networks.ts';
