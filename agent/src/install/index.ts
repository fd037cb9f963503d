export * from './render-unit.ts';
export * from './install.ts';
export * from './node-flags.ts';
