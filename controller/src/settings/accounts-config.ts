// Account, login and quota settings of the controller. Declared with every other setting in
// ../settings/table.ts (flag > env > YAML file > default); durations take the manifest syntax
// (30m, 24h, 7d).
import { DEFAULT_SOURCE_LIMIT, DEFAULT_USER_LIMIT, type LimitPolicy } from '../auth/login-limiter.ts';
import type { Quota } from '../quotas/index.ts';
import { DEFAULT_SIGNUP_LIMIT, type SignupPolicy } from '../auth/signup-limiter.ts';
import type { Settings } from './table.ts';
import { CONTROLLER_PROFILE, resolveSettings } from './resolve.ts';

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

export const ACCOUNT_SETTINGS = [
  'tokenTtl',
  'adminTokenTtl',
  'loginMaxFailures',
  'loginLockout',
  'signupLimit',
  'quotaMaxCores',
  'quotaMaxDuration',
  'quotaMaxAdvance',
  'quotaMaxReservations',
  'quotaMaxPublicPorts',
] as const;

export function accountsFrom(s: Pick<Settings, (typeof ACCOUNT_SETTINGS)[number]>): AccountsConfig {
  return {
    tokenTtlMs: s.tokenTtl,
    adminTokenTtlMs: s.adminTokenTtl,
    loginLimit: {
      user: { ...DEFAULT_USER_LIMIT, maxFailures: s.loginMaxFailures, lockoutMs: s.loginLockout },
      source: { ...DEFAULT_SOURCE_LIMIT, lockoutMs: s.loginLockout },
    },
    signupLimit: { ...DEFAULT_SIGNUP_LIMIT, max: s.signupLimit },
    defaultQuota: {
      maxCores: s.quotaMaxCores,
      maxDurationMs: s.quotaMaxDuration,
      maxAdvanceMs: s.quotaMaxAdvance,
      maxReservations: s.quotaMaxReservations,
      maxPublicPorts: s.quotaMaxPublicPorts,
    },
  };
}

/** The account settings alone, from the environment and a config file's mapping. */
export function resolveAccountsConfig(env: NodeJS.ProcessEnv, file: Record<string, unknown> = {}): AccountsConfig {
  return accountsFrom(resolveSettings({ env, file }, CONTROLLER_PROFILE, ACCOUNT_SETTINGS));
}

export const DEFAULT_ACCOUNTS_CONFIG: AccountsConfig = resolveAccountsConfig({});
