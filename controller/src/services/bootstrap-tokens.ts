// Admin operations on bootstrap tokens (`berth token create|list|revoke`). Input is checked here
// so API and CLI give the same errors; a refused request changes nothing.
import type { User } from '../store/generated/postgresql/client.ts';
import { formatJoinToken } from '@berth/proto';
import { BerthError } from '../errors/index.ts';
import { parseDurationMs } from '../manifests/index.ts';
import { BOOTSTRAP_ID, createBootstrapToken, listBootstrapTokens, revokeBootstrapToken, type BootstrapTokenView } from '../bootstrap/index.ts';
import { requireAdmin, type ServiceContext } from './context.ts';

const MAX_TTL_MS = 365 * 86_400_000;
const MAX_DESCRIPTION = 200;

interface CreateInput {
  ttl?: string;
  description?: string;
}

function readCreateInput(body: unknown, defaultTtlMs: number): { ttlMs: number; description: string } {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body)))
    throw new BerthError('Invalid', 'body: must be an object { ttl, description }');
  const input = (body ?? {}) as CreateInput & Record<string, unknown>;
  const unknown = Object.keys(input).find((k) => k !== 'ttl' && k !== 'description');
  if (unknown) throw new BerthError('Invalid', `${unknown}: unknown field (allowed: ttl, description)`, unknown);
  let ttlMs = defaultTtlMs;
  if (input.ttl !== undefined) {
    const parsed = typeof input.ttl === 'string' ? parseDurationMs(input.ttl) : undefined;
    if (parsed === undefined || parsed <= 0 || parsed > MAX_TTL_MS)
      throw new BerthError('Invalid', `ttl: must be a duration such as 30m, 24h or 7d, at most 365d, got ${JSON.stringify(input.ttl)}`, 'ttl');
    ttlMs = parsed;
  }
  const description = input.description ?? '';
  // One line of printable text: it is shown in a table and in logs.
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION || hasControlCharacter(description)) {
    throw new BerthError('Invalid', `description: must be one line of text of at most ${MAX_DESCRIPTION} characters`, 'description');
  }
  return { ttlMs, description };
}

export async function createJoinToken(ctx: ServiceContext, user: User, body: unknown): Promise<BootstrapTokenView & { token: string }> {
  requireAdmin(user, 'bootstrap tokens');
  const { ttlMs, description } = readCreateInput(body, ctx.config.joinTokenTtlMs);
  if (!ctx.agentCertFingerprint) throw new BerthError('Unavailable', 'the agent endpoint is not serving: no join token can be made');
  const now = ctx.clock.now();
  const made = await createBootstrapToken(ctx.db, { ttlMs, description, now });
  ctx.log.info({ tokenId: made.id, by: user.username, expiresAt: made.expiresAt.toISOString() }, 'bootstrap token created');
  const view = (await listBootstrapTokens(ctx.db, now)).find((t) => t.id === made.id)!;
  return { ...view, token: formatJoinToken({ fingerprint: ctx.agentCertFingerprint, secret: made.secret }) };
}

export async function listJoinTokens(ctx: ServiceContext, user: User): Promise<BootstrapTokenView[]> {
  requireAdmin(user, 'bootstrap tokens');
  return listBootstrapTokens(ctx.db, ctx.clock.now());
}

export async function revokeJoinToken(ctx: ServiceContext, user: User, id: string): Promise<BootstrapTokenView> {
  requireAdmin(user, 'bootstrap tokens');
  if (!BOOTSTRAP_ID.test(id))
    throw new BerthError('Invalid', `id: a bootstrap token id is 6 characters of a-z 0-9, got ${JSON.stringify(id.slice(0, 40))}`, 'id');
  const now = ctx.clock.now();
  await revokeBootstrapToken(ctx.db, id, now);
  ctx.log.info({ tokenId: id, by: user.username }, 'bootstrap token revoked');
  return (await listBootstrapTokens(ctx.db, now)).find((t) => t.id === id)!;
}

/** A description is one line of text: no control characters (newlines, escapes, DEL). */
function hasControlCharacter(text: string): boolean {
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
