export * from '../domain/conditions.ts';
export * from './phases.ts';
export * from './node-ready.ts';
export * from '../domain/admitted-image.ts';
