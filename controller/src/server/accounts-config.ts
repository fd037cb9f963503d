// Account, login and quota settings of the controller, from the environment or the YAML config
// file (env wins). Durations take the manifest syntax (30m, 24h, 7d).
import { BerthError } from '../errors/index.ts';
import { parseDurationMs } from '../manifests/index.ts';
import { DEFAULT_SOURCE_LIMIT, DEFAULT_USER_LIMIT, type LimitPolicy } from '../auth/login-limiter.ts';
import type { Quota } from '../quotas/index.ts';
import { DEFAULT_SIGNUP_LIMIT, type SignupPolicy } from '../auth/signup-limiter.ts';
import { DEFAULT_ADMIN_TOKEN_TTL_MS } from '../auth/admin-token.ts';

export interface AccountsConfig {
  /** Lifetime of tokens issued by signup and login. */
  tokenTtlMs: number;
  /** Lifetime of the bootstrap admin token in DATA_DIR/berth.config (`berth admin rotate-token`). */
  adminTokenTtlMs: number;
  loginLimit: { user: LimitPolicy; source: LimitPolicy };
  /** Accounts one source address may create per window. */
  signupLimit: SignupPolicy;
  /** Applied to customers without an override; admins are bound only by their own override. */
  defaultQuota: Quota;
}

export const DEFAULT_ACCOUNTS_CONFIG: AccountsConfig = {
  tokenTtlMs: 7 * 86_400_000,
  adminTokenTtlMs: DEFAULT_ADMIN_TOKEN_TTL_MS,
  loginLimit: { user: DEFAULT_USER_LIMIT, source: DEFAULT_SOURCE_LIMIT },
  signupLimit: DEFAULT_SIGNUP_LIMIT,
  defaultQuota: { maxCores: 16, maxDurationMs: 7 * 86_400_000, maxAdvanceMs: 30 * 86_400_000 },
};

function duration(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = parseDurationMs(String(value));
  if (ms === undefined || ms <= 0) throw new BerthError('Invalid', `${name}: must be a duration such as 30m or 7d, got "${String(value)}"`, name);
  return ms;
}

function count(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new BerthError('Invalid', `${name}: must be a positive integer, got "${String(value)}"`, name);
  return n;
}

export function resolveAccountsConfig(env: NodeJS.ProcessEnv, file: Record<string, unknown> = {}): AccountsConfig {
  const pick = (envName: string, key: string) => env[envName] ?? file[key];
  const d = DEFAULT_ACCOUNTS_CONFIG;
  const maxFailures = count('loginMaxFailures', pick('BERTH_LOGIN_MAX_FAILURES', 'loginMaxFailures'));
  const signupMax = count('signupLimit', pick('BERTH_SIGNUP_LIMIT', 'signupLimit'));
  const lockoutMs = duration('loginLockout', pick('BERTH_LOGIN_LOCKOUT', 'loginLockout'));
  const user = { ...d.loginLimit.user, ...(maxFailures ? { maxFailures } : {}), ...(lockoutMs ? { lockoutMs } : {}) };
  const source = { ...d.loginLimit.source, ...(lockoutMs ? { lockoutMs } : {}) };
  return {
    tokenTtlMs: duration('tokenTtl', pick('BERTH_TOKEN_TTL', 'tokenTtl')) ?? d.tokenTtlMs,
    adminTokenTtlMs: duration('adminTokenTtl', pick('BERTH_ADMIN_TOKEN_TTL', 'adminTokenTtl')) ?? d.adminTokenTtlMs,
    loginLimit: { user, source },
    signupLimit: { ...d.signupLimit, ...(signupMax ? { max: signupMax } : {}) },
    defaultQuota: {
      maxCores: count('quotaMaxCores', pick('BERTH_QUOTA_MAX_CORES', 'quotaMaxCores')) ?? d.defaultQuota.maxCores,
      maxDurationMs: duration('quotaMaxDuration', pick('BERTH_QUOTA_MAX_DURATION', 'quotaMaxDuration')) ?? d.defaultQuota.maxDurationMs,
      maxAdvanceMs: duration('quotaMaxAdvance', pick('BERTH_QUOTA_MAX_ADVANCE', 'quotaMaxAdvance')) ?? d.defaultQuota.maxAdvanceMs,
    },
  };
}
