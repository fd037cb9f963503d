import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate, loadCertificateAuthority } from '../pki/index.ts';
import { loadApiTls } from './api-tls.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'berth-api-tls-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const where = (dataDir: string) => ({ dataDir, host: '127.0.0.1', publicAddress: '127.0.0.1', log: pino({ level: 'silent' }) });

async function operatorFiles(dir: string) {
  const ca = await loadCertificateAuthority(await createCertificateAuthority());
  const issued = await issueServerCertificate(ca, { dnsNames: ['berth.example.com'], ttlMs: 86_400_000 });
  const cert = path.join(dir, 'api.crt');
  const key = path.join(dir, 'api.key');
  writeFileSync(cert, issued.certPem + issued.caPem);
  writeFileSync(key, issued.keyPem);
  return { ca, cert, key };
}

describe('loadApiTls', () => {
  it("serves the operator's chain and tells clients the self-signed CA at its top", async () => {
    const dir = tmp();
    const { ca, cert, key } = await operatorFiles(dir);
    const tls = await loadApiTls({ mode: 'files', certFile: cert, keyFile: key }, where(dir));
    expect(tls?.caPem).toBe(ca.certPem);
  });

  it("refuses a key that is not the certificate's, and a file it cannot read, naming the setting", async () => {
    const dir = tmp();
    const { cert } = await operatorFiles(dir);
    const other = await operatorFiles(tmp());
    await expect(loadApiTls({ mode: 'files', certFile: cert, keyFile: other.key }, where(dir))).rejects.toMatchObject({
      field: 'tlsKey',
      message: expect.stringContaining('is not the key of the certificate'),
    });
    await expect(loadApiTls({ mode: 'files', certFile: path.join(dir, 'missing.crt'), keyFile: other.key }, where(dir))).rejects.toMatchObject({
      field: 'tlsCert',
      message: expect.stringContaining('ENOENT'),
    });
  });

  it('issues from the Berth CA in DATA_DIR/pki, the same CA at every start', async () => {
    const dir = tmp();
    const first = await loadApiTls({ mode: 'ca', extraNames: [] }, where(dir));
    const second = await loadApiTls({ mode: 'ca', extraNames: [] }, where(dir));
    expect(second?.caPem).toBe(first?.caPem);
    expect(second?.cert.endsWith(first!.caPem!)).toBe(true); // the chain ends in the CA
    expect(await loadApiTls({ mode: 'off' }, where(dir))).toBeUndefined();
  });
});
