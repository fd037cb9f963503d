export * from './agent-bundle.ts';
export * from './render-install-script.ts';
