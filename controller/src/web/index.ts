export * from './serve-web.ts';
