// The CA the CLI verifies its server with: PEM text checked to be certificates, from the config
// file or from --certificate-authority FILE.
import { readFileSync } from 'node:fs';
import { BerthError } from '../errors/index.ts';

/** The text as PEM certificates, or an Invalid error naming where it came from. */
export function parseCaPem(text: string, where: string): string {
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    // node:crypto on use: most commands never parse a CA and start ~7 ms sooner without it.
    const { X509Certificate } = process.getBuiltinModule('node:crypto');
    if (certs.length === 0) throw new Error('none');
    for (const c of certs) new X509Certificate(c);
  } catch {
    throw new BerthError('Invalid', `${where}: not a PEM certificate`, 'certificateAuthority');
  }
  return `${certs.join('\n')}\n`;
}

/** --certificate-authority FILE: the PEM file an admin handed out. */
export function readCaFile(file: string, what = 'certificate-authority'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BerthError('Invalid', `${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'certificateAuthority');
  }
  return parseCaPem(text, `${what}: ${file}`);
}
