export * from './tokens.ts';
export * from './admin-token.ts';
export * from './passwords.ts';
export * from './login-limiter.ts';
export * from './signup-limiter.ts';
export * from './accounts.ts';
export * from './principal-cache.ts';
