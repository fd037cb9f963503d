// Files at rest through real processes: a controller makes its data dir private (0700, files
// 0600: the SQLite store with its -wal/-shm, the admin config, the join token, the TLS key), also
// when it starts on a data dir an earlier version left readable; `berth admin` keeps it so, and
// refuses to write as root into a data dir that belongs to the controller's own user.
import { chmod, chown, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { removeDir, startController, type ControllerProcess } from '../support/processes.ts';

const SECRETS = ['berth.db', 'berth.db-wal', 'berth.db-shm', 'berth.config', 'join-token', 'tls/agent-stream.key'];
const dirs: string[] = [];
let controller: ControllerProcess | undefined;

afterAll(async () => {
  await controller?.stop();
  for (const d of dirs) await removeDir(d);
});

const octal = async (p: string) => ((await stat(p)).mode & 0o7777).toString(8);

/** Every mode that is not private: "path 644" lines, empty when all is well. */
async function exposed(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [dataDir, path.join(dataDir, 'tls')]) {
    if ((await stat(dir)).mode & 0o077) out.push(`${dir} ${await octal(dir)}`);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      // The certificate agents pin is public (its fingerprint is in every join token).
      if (e.isFile() && !e.name.endsWith('.crt') && (await stat(p)).mode & 0o077) out.push(`${p} ${await octal(p)}`);
    }
  }
  return out;
}

/** What an older version (or a careless copy) left behind: everything readable by all. */
async function loosen(dataDir: string): Promise<void> {
  for (const dir of [dataDir, path.join(dataDir, 'tls')]) {
    await chmod(dir, 0o755);
    for (const e of await readdir(dir, { withFileTypes: true })) if (e.isFile()) await chmod(path.join(dir, e.name), 0o644);
  }
}

describe("the controller's files at rest", () => {
  it('are private after a first start and after a start on a data dir left readable', async () => {
    const dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'berth-at-rest-')), 'data');
    dirs.push(path.dirname(dataDir));
    controller = await startController({ nat: 'userspace', dataDir });
    // The store has been written to (the bootstrap admin and its token): -wal and -shm exist.
    for (const f of SECRETS) expect([f, await octal(path.join(dataDir, f))]).toEqual([f, '600']);
    expect(await octal(dataDir)).toBe('700');
    expect(await exposed(dataDir)).toEqual([]);

    await controller.stop();
    await loosen(dataDir);
    expect((await exposed(dataDir)).length).toBeGreaterThan(3);
    controller = await startController({ nat: 'userspace', dataDir });
    expect(await exposed(dataDir)).toEqual([]);
    // Still the same store: the restart kept the admin config of the first start working.
    expect((await controller.api.request('GET', '/api/v1/auth/whoami')).body).toMatchObject({ role: 'admin' });
  });

  it('stay private when `berth admin create-user` writes to the store beside the running controller', async () => {
    const dataDir = controller!.dataDir;
    const out = await runCli(['admin', 'create-user', 'erin', '--data-dir', dataDir]);
    expect(out.code).toBe(0);
    expect(await exposed(dataDir)).toEqual([]);
  });
});

describe('berth admin on a data dir of another user', () => {
  it('refuses to run as root there, naming the owner, and writes nothing', async () => {
    if (process.getuid?.() !== 0) throw new Error("this test runs as root, like the management node's administrator");
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-owned-'));
    dirs.push(dataDir);
    await chown(dataDir, 65534, 65534);
    for (const args of [['rotate-token'], ['create-user', 'frank']]) {
      const out = await runCli(['admin', ...args, '--data-dir', dataDir]);
      expect(out.code).toBe(3);
      expect(out.stderr).toContain(`${dataDir} belongs to uid 65534, not root: run this as that user (e.g. sudo -u berth berth admin ...)`);
    }
    expect(await readdir(dataDir)).toEqual([]);
    await expect(readFile(path.join(dataDir, 'berth.config'))).rejects.toThrow(/ENOENT/);
  });
});
