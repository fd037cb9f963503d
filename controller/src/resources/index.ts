export * from './types.ts';
export * from './render.ts';
