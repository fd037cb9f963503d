export * from './pick-port.ts';
export * from './port-ranges.ts';
export * from './port-pool.ts';
