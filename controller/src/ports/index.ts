export * from './pick-port.ts';
export * from './allocate-ports.ts';
