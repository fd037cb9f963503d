export * from './storage-settings.ts';
export * from './storage-account.ts';
export * from './helper-request.ts';
export * from './storage-helper.ts';
export * from './plan-release.ts';
export * from './plan-access.ts';
export * from './storage-janitor.ts';
export * from './access-reconciler.ts';
