export * from './limits.ts';
export * from './quantity.ts';
export * from './schemas.ts';
export * from './validate.ts';
