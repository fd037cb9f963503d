import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

describe('passwords', () => {
  it('enforces the minimum policy', () => {
    expect(passwordProblem('short1', 'ann')).toMatch(/at least 8/);
    expect(passwordProblem('onlyletters', 'ann')).toMatch(/letter and a digit/);
    expect(passwordProblem('12345678', 'ann')).toMatch(/letter and a digit/);
    expect(passwordProblem('xx-annabel-1', 'annabel')).toMatch(/username/);
    expect(passwordProblem('a'.repeat(70) + 'ééé', 'ann')).toMatch(/72 bytes/);
    expect(passwordProblem('\'; DROP TABLE "User";--', 'ann')).toBeUndefined();
  });

  it('stores a bcrypt hash that verifies the password and nothing else', async () => {
    const hash = await hashPassword('correct-horse-1');
    expect(hash).toMatch(/^\$2[aby]\$10\$/);
    expect(hash).not.toContain('correct-horse-1');
    expect(await verifyPassword('correct-horse-1', hash)).toBe(true);
    expect(await verifyPassword('correct-horse-2', hash)).toBe(false);
    expect(await verifyPassword('correct-horse-1', null)).toBe(false);
  });
});
