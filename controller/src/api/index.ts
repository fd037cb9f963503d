export * from './build-server.ts';
export type { InstallRouteOptions } from './routes-install.ts';
