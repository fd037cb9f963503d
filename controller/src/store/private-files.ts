// The controller's files hold secrets (bcrypt hashes and tenants' env in berth.db, the admin token
// in berth.config, the join token, the agent stream's TLS key): only their owner may read them.
// New files are created private, and a data dir left readable by an earlier version (or by hand)
// is tightened on every start.
import { chmodSync, closeSync, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

// Subdirectories of the data dir whose files are the controller's own (tls holds the key).
const OWN_SUBDIRS = ['tls'];

/**
 * Creates the file empty with mode 0600 if it does not exist, and narrows an existing one to
 * 0600. SQLite gives a new database 0644 whatever the umask, but creates its -wal, -shm and
 * -journal files with the database file's mode: a private database file keeps them private too.
 */
export function ensurePrivateFile(file: string): void {
  const fd = openSync(file, 'a', PRIVATE_FILE_MODE);
  try {
    const current = fstatSync(fd).mode & 0o7777;
    if ((current & ~PRIVATE_FILE_MODE) !== 0) fchmodSync(fd, current & PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** Narrows the file to 0600 when it exists. */
export function narrowIfExists(file: string): void {
  const st = statOrUndefined(file);
  if (st?.isFile()) narrow(file, st, PRIVATE_FILE_MODE);
}

/**
 * Creates the data dir 0700, or narrows it to 0700, and narrows the controller's files in it
 * (and in tls/) to 0600. A shared directory (sticky bit, like /tmp) is never narrowed itself:
 * a misconfigured --data-dir must not lock other users out of it; the files are still narrowed.
 */
export function securePrivateDataDir(dir: string, log?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = lstatSync(dir);
  if (st.mode & 0o1000) log?.warn({ dataDir: dir }, 'data dir is a shared (sticky) directory; not narrowing it');
  else narrow(dir, st, PRIVATE_DIR_MODE);
  narrowFilesIn(dir);
  for (const sub of OWN_SUBDIRS) {
    const full = path.join(dir, sub);
    const s = statOrUndefined(full);
    if (!s?.isDirectory()) continue;
    narrow(full, s, PRIVATE_DIR_MODE);
    narrowFilesIn(full);
  }
}

function narrowFilesIn(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Symlinks are left alone: chmod would follow them out of the data dir.
    if (entry.isFile()) narrowIfExists(path.join(dir, entry.name));
  }
}

/** Drops every group and other bit; never widens (a 0400 file stays 0400). */
function narrow(file: string, st: Stats, mode: number): void {
  const current = st.mode & 0o7777;
  if ((current & ~mode) !== 0) chmodSync(file, current & mode);
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
