// Accounts: signup, login, logout and the management-node-only user creation.
import { z } from 'zod';
import type { PrismaClient as Db, User } from '../store/generated/postgresql/client.ts';
import { BerthError, parseOrInvalid } from '../errors/index.ts';
import { isUniqueViolation } from '../store/unique-violation.ts';
import { assertPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';
import { hashToken, issueToken } from './tokens.ts';
import type { LoginLimiter } from './login-limiter.ts';
import type { SignupLimiter } from './signup-limiter.ts';

export const usernameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{2,31}$/, 'must be 3-32 characters: lowercase letters, digits, "-" and "_", starting with a letter');

// Names that read as the system's own: a customer holding one could pass for an operator (and an
// older controller promoted a customer named "admin" on its first start). Only an admin may hold
// one, created on the management node.
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set(['admin', 'root', 'system']);

export function assertNotReserved(username: string): void {
  if (RESERVED_USERNAMES.has(username) || username.startsWith('system:')) {
    throw new BerthError('Invalid', `username: "${username}" is reserved; choose another`, 'username');
  }
}

const signupSchema = z.strictObject({
  username: usernameSchema,
  email: z.email('must be an email address').max(254),
  password: z.string().max(1024),
});

const loginSchema = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(1024),
});

export interface IssuedToken {
  token: string;
  expiresAt: string;
  user: PublicUser;
}

export interface PublicUser {
  username: string;
  email?: string;
  role: string;
  createdAt: string;
}

export function publicUser(u: User): PublicUser {
  return { username: u.username, ...(u.email ? { email: u.email } : {}), role: u.role, createdAt: u.createdAt.toISOString() };
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  return parseOrInvalid(schema, body ?? {}, { subject: 'body' }); // never echoes the value: it may be a password
}

async function createUser(db: Db, input: { username: string; email?: string; password?: string; role: 'customer' | 'admin' }): Promise<User> {
  if (input.role !== 'admin') assertNotReserved(input.username);
  if (input.password !== undefined) assertPasswordPolicy(input.password, input.username);
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  try {
    return await db.user.create({ data: { username: input.username, email: input.email, passwordHash, role: input.role } });
  } catch (err) {
    if (isUniqueViolation(err)) throw new BerthError('Conflict', `username "${input.username}" is already taken`, 'username');
    throw err;
  }
}

async function tokenFor(db: Db, user: User, name: string, ttlMs: number, now: number): Promise<IssuedToken> {
  const token = await issueToken(db, user.id, name, ttlMs, now);
  return { token, expiresAt: new Date(now + ttlMs).toISOString(), user: publicUser(user) };
}

/**
 * Public signup: always a customer; answers with a login token so the CLI is ready to use. The
 * source's slot is taken before the password is hashed and kept only if the account was created.
 */
export async function signup(db: Db, limiter: SignupLimiter, body: unknown, source: string, ttlMs: number, now: number): Promise<IssuedToken> {
  const input = parse(signupSchema, body);
  const slot = limiter.reserve(source, now);
  let user: User;
  try {
    user = await createUser(db, { ...input, role: 'customer' });
  } catch (err) {
    slot.release(); // weak password, name taken, store down: no account, no slot used
    throw err;
  }
  slot.keep(now);
  return tokenFor(db, user, 'signup', ttlMs, now);
}

/** The attempt counts against the username and the source before the password is compared. */
export async function login(db: Db, limiter: LoginLimiter, body: unknown, source: string, ttlMs: number, now: number): Promise<IssuedToken> {
  const input = parse(loginSchema, body);
  const attempt = limiter.begin(input.username, source, now);
  try {
    const user = await db.user.findUnique({ where: { username: input.username } });
    // Same answer for an unknown user and a wrong password: usernames are not enumerable here.
    if (!(await verifyPassword(input.password, user?.passwordHash)) || !user) {
      attempt.fail(now);
      throw new BerthError('Unauthenticated', 'wrong username or password');
    }
    attempt.succeed();
    return await tokenFor(db, user, 'login', ttlMs, now);
  } finally {
    attempt.abandon(); // a no-op once settled; frees the slots if the store failed
  }
}

/** Revokes the token the request was made with. */
export async function logout(db: Db, header: string | undefined, now: number): Promise<void> {
  const secret = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!secret) return;
  await db.apiToken.updateMany({ where: { tokenHash: hashToken(secret), revokedAt: null }, data: { revokedAt: new Date(now) } });
}

/** `berth admin create-user` on the management node: the only way an admin comes to be. */
export async function createUserOnManagementNode(db: Db, input: { username: string; email?: string; password?: string; admin: boolean }): Promise<User> {
  parse(usernameSchema, input.username);
  if (input.email !== undefined) parse(z.email('must be an email address'), input.email);
  return createUser(db, { username: input.username, email: input.email, password: input.password, role: input.admin ? 'admin' : 'customer' });
}
