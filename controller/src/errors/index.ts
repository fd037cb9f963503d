export * from './catalog.ts';
export * from './from-zod.ts';
