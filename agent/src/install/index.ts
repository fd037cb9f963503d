export * from './render-unit.ts';
export * from './install.ts';
