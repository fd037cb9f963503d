import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import { ensurePrivateFile, securePrivateDataDir } from './private-files.ts';

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-private-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// Octal text, so a failure reads 644 rather than 420.
/** A file readable by everyone, whatever the umask. */
function loose(file: string, content = 'secret'): void {
  writeFileSync(file, content);
  chmodSync(file, 0o644);
}

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);

describe('private files', () => {
  it('keeps a new SQLite store and every side file (-wal, -shm, lock) owner-only, whatever the umask', async () => {
    const dataDir = join(scratch(), 'data');
    const old = process.umask(0o022);
    try {
      const store = await openStore({ dataDir });
      try {
        await store.db.user.create({ data: { username: 'ann', role: 'customer', passwordHash: 'x' } });
        expect(mode(dataDir)).toBe('700');
        for (const f of ['berth.db', 'berth.db-wal', 'berth.db-shm', 'berth.db.migrate-lock']) expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
      } finally {
        await store.close();
      }
    } finally {
      process.umask(old);
    }
  });

  it('narrows a store left world-readable by an earlier version when it is opened again', async () => {
    const dataDir = scratch();
    const first = await openStore({ dataDir });
    await first.db.user.count();
    await first.close();
    for (const f of ['berth.db', 'berth.db.migrate-lock']) chmodSync(join(dataDir, f), 0o644);
    loose(join(dataDir, 'berth.db-journal'), ''); // empty: SQLite leaves it in place
    const store = await openStore({ dataDir });
    await store.close();
    for (const f of ['berth.db', 'berth.db.migrate-lock', 'berth.db-journal']) expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
  });

  it('narrows an existing data dir, its files and tls/ at start, and leaves what is outside alone', () => {
    const root = scratch();
    const dataDir = join(root, 'data');
    mkdirSync(join(dataDir, 'tls'), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'tls'), 0o755);
    for (const f of ['join-token', 'berth.config', 'tls/agent-stream.key']) loose(join(dataDir, f));
    writeFileSync(join(dataDir, 'read-only'), 'x', { mode: 0o400 });
    const outside = join(root, 'outside');
    loose(outside);
    symlinkSync(outside, join(dataDir, 'link'));

    securePrivateDataDir(dataDir);
    expect(mode(dataDir)).toBe('700');
    expect(mode(join(dataDir, 'tls'))).toBe('700');
    for (const f of ['join-token', 'berth.config', 'tls/agent-stream.key']) expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
    expect(mode(join(dataDir, 'read-only'))).toBe('400'); // never widened
    expect(mode(outside)).toBe('644'); // a symlink is not followed out of the data dir
  });

  it('creates a missing data dir 0700 and does not narrow a shared sticky directory itself', () => {
    const dataDir = join(scratch(), 'a', 'b');
    securePrivateDataDir(dataDir);
    expect(mode(dataDir)).toBe('700');
    const shared = scratch();
    chmodSync(shared, 0o1777);
    loose(join(shared, 'join-token'));
    securePrivateDataDir(shared);
    expect(mode(shared)).toBe('1777');
    expect(mode(join(shared, 'join-token'))).toBe('600');
  });

  it('creates a missing file empty and 0600, and narrows an existing one without touching its content', () => {
    const dir = scratch();
    ensurePrivateFile(join(dir, 'new'));
    expect(mode(join(dir, 'new'))).toBe('600');
    expect(statSync(join(dir, 'new')).size).toBe(0);
    loose(join(dir, 'old'), 'data');
    ensurePrivateFile(join(dir, 'old'));
    expect(mode(join(dir, 'old'))).toBe('600');
    expect(statSync(join(dir, 'old')).size).toBe(4);
  });
});
