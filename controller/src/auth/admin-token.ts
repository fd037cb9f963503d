import type { PrismaClient as Db } from '../store/index.ts';
import { authenticate, bootstrapAdmin } from './tokens.ts';

/**
 * The admin token of an earlier start when it still works (so configs written then stay valid),
 * else a new one for the bootstrap admin.
 */
export async function reuseOrIssueAdminToken(db: Db, previous: string | undefined, now = Date.now()): Promise<string> {
  if (previous) {
    try {
      if ((await authenticate(db, `Bearer ${previous}`, now)).role === 'admin') return previous;
    } catch {
      // expired, revoked or from another database: issue a new one
    }
  }
  return (await bootstrapAdmin(db)).token;
}
