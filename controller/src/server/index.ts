export * from '../lib/clock.ts';
export * from '../settings/config.ts';
export * from './logger.ts';
export * from '../lib/mutex.ts';
export * from './start-controller.ts';
