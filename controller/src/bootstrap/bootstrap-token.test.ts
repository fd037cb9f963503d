import { describe, expect, it } from 'vitest';
import { formatBootstrapSecret, hashBootstrapSecret, judgeToken, newBootstrapSecret, parseBootstrapSecret } from './bootstrap-token.ts';

describe('bootstrap tokens', () => {
  it('are <6 characters>.<32 characters> of a-z0-9 and parse back', () => {
    const t = newBootstrapSecret();
    expect(formatBootstrapSecret(t)).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{32}$/);
    expect(parseBootstrapSecret(formatBootstrapSecret(t))).toEqual(t);
    expect(newBootstrapSecret().id).not.toBe(t.id);
  });

  it('does not parse a bare secret, upper case or a short secret', () => {
    for (const text of ['0123456789abcdef0123', 'ABCDEF.0123456789abcdef0123456789abcdef', 'abcdef.0123', 'abcdef.0123456789abcdef0123456789abcdef.x']) {
      expect(parseBootstrapSecret(text)).toBeUndefined();
    }
  });

  it('accepts the right secret before expiry; says expired or revoked only to the secret holder', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const row = { secretHash: hashBootstrapSecret('s3cret'), expiresAt: new Date(now + 1000), revokedAt: null };
    expect(judgeToken(row, 's3cret', now)).toBeUndefined();
    expect(judgeToken(row, 'other', now)).toBe('invalid');
    expect(judgeToken(undefined, 's3cret', now)).toBe('invalid');
    expect(judgeToken(row, 's3cret', now + 1000)).toBe('expired');
    expect(judgeToken({ ...row, expiresAt: new Date(0) }, 'other', now)).toBe('invalid');
    expect(judgeToken({ ...row, revokedAt: new Date(now) }, 's3cret', now)).toBe('revoked');
  });
});
