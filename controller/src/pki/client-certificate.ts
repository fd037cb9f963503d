// A TLS client certificate for a key the CA never sees: the caller sends its public key (SPKI PEM
// or DER) or a CSR. The subject is only the common name the *caller of this function* decides
// (a node's name): whatever name a CSR asks for is ignored, so a node cannot choose another's.
import { createPublicKey, ECDH, type KeyObject } from 'node:crypto';
import { BerthError } from '../errors/index.ts';
import { signLeaf } from './sign-leaf.ts';
import type { CertificateAuthority } from './certificate-authority.ts';

export interface ClientCertificateRequest {
  /** The identity the certificate proves, e.g. the node name. */
  commonName: string;
  /** SPKI as PEM (`PUBLIC KEY`) or DER; or give csrPem instead. */
  publicKey?: string | Buffer;
  /** A PKCS#10 request (`CERTIFICATE REQUEST`); its signature proves the caller holds the key. */
  csrPem?: string;
  ttlMs: number;
  now?: number;
}

const COMMON_NAME = /^[A-Za-z0-9]([A-Za-z0-9._:-]{0,62}[A-Za-z0-9])?$/;

export interface IssuedClientCertificate {
  certPem: string;
  caPem: string;
  /** Lower-case hex. */
  serial: string;
  notAfter: Date;
  /** The certified key, SPKI DER. */
  spkiDer: Buffer;
}

export async function issueClientCertificate(ca: CertificateAuthority, req: ClientCertificateRequest): Promise<IssuedClientCertificate> {
  if (!COMMON_NAME.test(req.commonName))
    throw new BerthError('Invalid', `commonName: "${req.commonName}" must be 1-64 letters, digits, '.', '_', ':' or '-'`, 'commonName');
  if ((req.publicKey === undefined) === (req.csrPem === undefined)) throw new BerthError('Invalid', 'publicKey, csrPem: give exactly one of them', 'publicKey');
  const spki = req.csrPem !== undefined ? await spkiOfCsr(req.csrPem) : spkiOfKey(req.publicKey!);
  const leaf = signLeaf(ca, { commonName: req.commonName, spkiDer: spki, extendedKeyUsage: 'clientAuth', ttlMs: req.ttlMs, now: req.now });
  return { ...leaf, caPem: ca.certPem, spkiDer: spki };
}

async function spkiOfCsr(csrPem: string): Promise<Buffer> {
  const { x509 } = await import('./x509.ts'); // CSRs are rare: the agent sends its public key
  let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new BerthError('Invalid', 'csrPem: not a PEM certificate request', 'csrPem');
  }
  if (!(await csr.verify().catch(() => false))) throw new BerthError('Invalid', 'csrPem: the request is not signed by its own key', 'csrPem');
  return spkiOfKey(Buffer.from(csr.publicKey.rawData));
}

// SPKI DER of an uncompressed P-256 key: this fixed header (SEQUENCE, id-ecPublicKey, prime256v1,
// BIT STRING of 66 bytes), then 04 and the 64-byte point.
const P256_SPKI_HEADER = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]{1,200})-----END PUBLIC KEY-----\r?\n?$/;

/**
 * The SPKI DER of a P-256 key (what every agent generates), when the key is one whose point is on
 * the curve; undefined for any other key, which the general path reads. A quarter of the cost of
 * createPublicKey plus export, paid once per node join.
 */
function p256Spki(key: string | Buffer): Buffer | undefined {
  let der = key;
  if (typeof key === 'string') {
    const m = PEM_PUBLIC_KEY.exec(key);
    if (!m) return undefined;
    der = Buffer.from(m[1].replace(/\r?\n/g, ''), 'base64');
  }
  const spki = der as Buffer;
  if (spki.length !== P256_SPKI_HEADER.length + 65 || !spki.subarray(0, P256_SPKI_HEADER.length).equals(P256_SPKI_HEADER)) return undefined;
  try {
    ECDH.convertKey(spki.subarray(P256_SPKI_HEADER.length), 'prime256v1'); // throws unless the point is on the curve
  } catch {
    throw new BerthError('Invalid', 'publicKey: not a point on the P-256 curve', 'publicKey');
  }
  return Buffer.from(spki);
}

function spkiOfKey(key: string | Buffer): Buffer {
  const fast = p256Spki(key);
  if (fast) return fast;
  let k: KeyObject;
  try {
    k = typeof key === 'string' ? createPublicKey(key) : createPublicKey({ key, format: 'der', type: 'spki' });
  } catch {
    throw new BerthError('Invalid', 'publicKey: not a PEM or DER public key (SPKI)', 'publicKey');
  }
  checkKeyStrength(k);
  return k.export({ format: 'der', type: 'spki' });
}

/** EC on P-256/P-384, Ed25519, or RSA of at least 2048 bits; anything weaker is refused. */
function checkKeyStrength(k: KeyObject): void {
  const d = k.asymmetricKeyDetails ?? {};
  const ok =
    (k.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1'].includes(d.namedCurve ?? '')) ||
    k.asymmetricKeyType === 'ed25519' ||
    (k.asymmetricKeyType === 'rsa' && (d.modulusLength ?? 0) >= 2048);
  if (!ok)
    throw new BerthError(
      'Invalid',
      `publicKey: must be EC P-256/P-384, Ed25519 or RSA of at least 2048 bits, got ${k.asymmetricKeyType} ${d.namedCurve ?? d.modulusLength ?? ''}`.trim(),
      'publicKey',
    );
}
