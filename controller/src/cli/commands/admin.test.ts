// `berth admin create-user` and `rotate-token` take the controller's settings as the controller
// does: flag > env > the YAML file of --config / BERTH_CONTROLLER_CONFIG > default; a bad value in
// that file is refused naming its key, before anything is written.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../store/index.ts';
import { fakeDeps } from '../fake-deps.testkit.ts';
import { main } from '../main.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-admin-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI with no server and only the given environment (no BERTH_DATA_DIR or DATABASE_URL). */
function cli(env: Record<string, string> = {}) {
  const { deps, out } = fakeDeps(
    () => ({ status: 500, body: {} }),
    (m, u) => `${m} ${u}`,
  );
  deps.env = { HOME: dir, ...env };
  return { deps, out };
}

function yamlFile(text: string): string {
  const file = path.join(dir, 'controller.yaml');
  writeFileSync(file, text);
  return file;
}

async function usernames(dataDir: string): Promise<string[]> {
  const store = await openStore({ dataDir });
  try {
    return (await store.db.user.findMany({ orderBy: { username: 'asc' } })).map((u) => u.username);
  } finally {
    await store.close();
  }
}

describe('berth admin create-user', () => {
  it('opens the store in the dataDir of the --config file', async () => {
    const dataDir = path.join(dir, 'from-yaml');
    const config = yamlFile(`dataDir: ${dataDir}\nport: 7443\n`);
    const { deps, out } = cli();
    expect(await main(['admin', 'create-user', 'zoe', '--config', config], deps)).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^user\/zoe created \(customer\)\ntoken: berth_\S+\n$/);
    expect(await usernames(dataDir)).toEqual(['zoe']);
  });

  it('reads the file BERTH_CONTROLLER_CONFIG names, and a flag still wins over it', async () => {
    const config = yamlFile(`dataDir: ${path.join(dir, 'from-yaml')}\n`);
    const viaEnv = cli({ BERTH_CONTROLLER_CONFIG: config });
    expect(await main(['admin', 'create-user', 'zoe'], viaEnv.deps)).toBe(0);
    expect(await usernames(path.join(dir, 'from-yaml'))).toEqual(['zoe']);
    const flagged = path.join(dir, 'from-flag');
    expect(await main(['admin', 'create-user', 'yann', '--data-dir', flagged], viaEnv.deps)).toBe(0);
    expect(await usernames(flagged)).toEqual(['yann']);
  });

  it('refuses a config file with a bad value, naming the key and the file, and creates nothing', async () => {
    const dataDir = path.join(dir, 'from-yaml');
    const config = yamlFile(`dataDir: ${dataDir}\nport: 99999\n`);
    const { deps, out } = cli();
    expect(await main(['admin', 'create-user', 'zoe', '--config', config], deps)).toBe(2);
    expect(out.stderr).toBe(`error: port: must be a port number (0-65535), got "99999" (in ${config}) (field: port)\n`);
    expect(out.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('berth admin rotate-token', () => {
  it('writes berth.config in the YAML dataDir, with the YAML adminTokenTtl', async () => {
    const dataDir = path.join(dir, 'from-yaml');
    const config = yamlFile(`dataDir: ${dataDir}\nadminTokenTtl: 2h\n`);
    const { deps, out } = cli();
    expect(await main(['admin', 'rotate-token', '--config', config], deps)).toBe(0);
    // fakeDeps' clock reads 2026-01-01T00:00:00Z.
    expect(out.stdout).toBe(`admin token rotated: written to ${dataDir}/berth.config (expires 2026-01-01T02:00:00.000Z); 0 old token(s) revoked\n`);
    expect(readFileSync(path.join(dataDir, 'berth.config'), 'utf8')).toMatch(/berth_/);
    // --ttl, this command's flag for adminTokenTtl, wins over the file.
    out.stdout = '';
    expect(await main(['admin', 'rotate-token', '--config', config, '--ttl', '1h'], deps)).toBe(0);
    expect(out.stdout).toContain('(expires 2026-01-01T01:00:00.000Z); 1 old token(s) revoked');
  });

  it('refuses a bad adminTokenTtl in the file naming the key, and a bad BERTH_ADMIN_TOKEN_TTL naming the variable, writing nothing', async () => {
    const dataDir = path.join(dir, 'from-yaml');
    const config = yamlFile(`dataDir: ${dataDir}\nadminTokenTtl: soon\n`);
    const fromFile = cli();
    expect(await main(['admin', 'rotate-token', '--config', config], fromFile.deps)).toBe(2);
    expect(fromFile.out.stderr).toBe(`error: adminTokenTtl: must be a duration such as 30s, 5m or 7d, got "soon" (in ${config}) (field: adminTokenTtl)\n`);
    const fromEnv = cli({ BERTH_ADMIN_TOKEN_TTL: 'soon', BERTH_DATA_DIR: dataDir });
    expect(await main(['admin', 'rotate-token'], fromEnv.deps)).toBe(2);
    expect(fromEnv.out.stderr).toBe('error: BERTH_ADMIN_TOKEN_TTL: must be a duration such as 30s, 5m or 7d, got "soon" (field: adminTokenTtl)\n');
    expect(existsSync(dataDir)).toBe(false);
  });
});
