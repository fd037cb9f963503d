export * from './clock.ts';
export * from './config.ts';
export * from './logger.ts';
export * from './mutex.ts';
export * from './start-controller.ts';
