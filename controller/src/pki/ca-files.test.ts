import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caPaths, loadOrCreateCa } from './ca-files.ts';
import { createCertificateAuthority } from './create-ca.ts';

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'berth-pki-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const mode = (f: string) => statSync(f).mode & 0o777;

describe('the CA kept in DATA_DIR/pki', () => {
  it('is created with a 0600 key and a 0644 certificate in a 0700 directory', async () => {
    const dir = dataDir();
    await loadOrCreateCa(dir);
    const p = caPaths(dir);
    expect(mode(p.dir)).toBe(0o700);
    expect(mode(p.key)).toBe(0o600);
    expect(mode(p.cert)).toBe(0o644);
  });

  it('is the same CA after a restart', async () => {
    const dir = dataDir();
    const first = await loadOrCreateCa(dir);
    const second = await loadOrCreateCa(dir);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.certPem).toBe(first.certPem);
  });

  it('narrows a key left readable by others to 0600 on load', async () => {
    const dir = dataDir();
    await loadOrCreateCa(dir);
    chmodSync(caPaths(dir).key, 0o644);
    chmodSync(caPaths(dir).dir, 0o755);
    await loadOrCreateCa(dir);
    expect(mode(caPaths(dir).key)).toBe(0o600);
    expect(mode(caPaths(dir).dir)).toBe(0o700);
  });

  it('refuses to replace a CA whose key is missing, naming the file', async () => {
    const dir = dataDir();
    const ca = await loadOrCreateCa(dir);
    rmSync(caPaths(dir).key);
    await expect(loadOrCreateCa(dir)).rejects.toThrow(`${caPaths(dir).key} is missing`);
    expect(readFileSync(caPaths(dir).cert, 'utf8')).toBe(ca.certPem);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const dir = dataDir();
    await loadOrCreateCa(dir);
    writeFileSync(caPaths(dir).key, (await createCertificateAuthority()).keyPem);
    await expect(loadOrCreateCa(dir)).rejects.toThrow('the CA key does not belong to the CA certificate');
  });
});
