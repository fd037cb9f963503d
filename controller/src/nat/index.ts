export * from './endpoint.ts';
export * from './render-rules.ts';
export * from './nat-backend.ts';
export * from './create-nat-backend.ts';
export * from './iptables-backend.ts';
export * from './userspace-forwarder.ts';
export * from './nat-table.ts';
