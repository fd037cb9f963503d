export * from './conditions.ts';
export * from './phases.ts';
export * from './node-ready.ts';
export * from './admitted-image.ts';
