// Passwords: bcrypt hashes only, and a minimum policy checked before anything is stored.
import bcrypt from 'bcrypt';
import { BerthError } from '../errors/index.ts';

// 10 rounds is bcrypt's default: ~60 ms here, slow enough for offline guessing to hurt.
const ROUNDS = 10;
export const MIN_PASSWORD_LENGTH = 8;
// bcrypt ignores everything after 72 bytes; refuse rather than silently truncate.
export const MAX_PASSWORD_BYTES = 72;

/** The policy's first complaint about a password, or undefined when it is acceptable. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return `must be at most ${MAX_PASSWORD_BYTES} bytes`;
  if (!/[A-Za-z]/.test(password) || !/[^A-Za-z]/.test(password)) return 'must contain a letter and a digit or symbol';
  if (password.toLowerCase().includes(username.toLowerCase())) return 'must not contain the username';
  return undefined;
}

export function assertPasswordPolicy(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new BerthError('Invalid', `password: ${problem}`, 'password');
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, ROUNDS);
}

// Compared against when the user does not exist, so a miss costs as long as a wrong password.
const DUMMY_HASH = bcrypt.hashSync('berth-dummy-password', ROUNDS);

export function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  return bcrypt.compare(password, hash ?? DUMMY_HASH).then((ok) => ok && !!hash);
}
