// The key and certificate chain the API is served with, from the settings: issued by Berth's CA
// at every start (clients trust the CA, not the certificate), or the operator's files.
import { readFile } from 'node:fs/promises';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { BerthError } from '../errors/index.ts';
import { issueServerCertificate, loadOrCreateCa } from '../pki/index.ts';
import { serverCertificateNames } from './api-tls-names.ts';
import type { ApiTlsSettings } from '../settings/api-tls-settings.ts';

export interface ApiTls {
  /** The certificate chain, leaf first. */
  cert: string;
  key: string;
  /** The CA clients should trust (PEM), when known: Berth's CA, or a self-signed top of the operator's chain. */
  caPem?: string;
}

/** One year; a new one is issued at every start. */
const SERVER_CERT_TTL_MS = 365 * 86_400_000;

export async function loadApiTls(
  settings: ApiTlsSettings,
  where: { dataDir: string; host: string; publicAddress: string; log: Logger },
): Promise<ApiTls | undefined> {
  if (settings.mode === 'off') return undefined;
  if (settings.mode === 'files') return readOperatorFiles(settings.certFile, settings.keyFile);
  const ca = await loadOrCreateCa(where.dataDir, where.log);
  const names = serverCertificateNames({
    host: where.host,
    publicAddress: where.publicAddress,
    extraNames: settings.extraNames,
    hostname: os.hostname(),
    interfaceAddresses: Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)),
  });
  const issued = await issueServerCertificate(ca, { ...names, ttlMs: SERVER_CERT_TTL_MS });
  where.log.info({ ...names, caFingerprint: ca.fingerprint }, 'API certificate issued by the Berth CA');
  return { cert: issued.certPem + issued.caPem, key: issued.keyPem, caPem: ca.certPem };
}

async function readOperatorFiles(certFile: string, keyFile: string): Promise<ApiTls> {
  const read = (file: string, field: string) =>
    readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new BerthError('Invalid', `${field}: cannot read ${file}: ${err.code ?? err.message}`, field === 'tls-cert' ? 'tlsCert' : 'tlsKey');
    });
  const [cert, key] = await Promise.all([read(certFile, 'tls-cert'), read(keyFile, 'tls-key')]);
  const chain = cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(chain[0] ?? '');
  } catch {
    throw new BerthError('Invalid', `tls-cert: ${certFile} holds no PEM certificate`, 'tlsCert');
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new BerthError('Invalid', `tls-key: ${keyFile} holds no PEM private key`, 'tlsKey');
  }
  if (!matches) throw new BerthError('Invalid', `tls-key: ${keyFile} is not the key of the certificate in ${certFile}`, 'tlsKey');
  const top = new X509Certificate(chain[chain.length - 1]!);
  const selfSignedCa = top.ca && top.checkIssued(top);
  return { cert, key, caPem: selfSignedCa ? `${top.toString().trim()}\n` : undefined };
}
