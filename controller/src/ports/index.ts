export * from './pick-port.ts';
export * from './allocate-ports.ts';
export * from './move-ports.ts';
