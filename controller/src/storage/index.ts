export * from './storage-settings.ts';
export * from './remote-storage.ts';
export * from './plan-release.ts';
export * from './storage-janitor.ts';
