// How the CLI trusts the server: HTTPS verified against the CA of its config (or the system's
// roots), and a refusal that says what to do when the certificate does not check out. Tokens and
// passwords never go over plain HTTP beyond this machine.
import { BerthError } from '../errors/index.ts';

export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Refuses a plain-HTTP server that is not on this machine. */
export function assertSafeServer(server: string): void {
  if (server.startsWith('http://') && !isLoopbackUrl(server)) {
    throw new BerthError('Invalid', `server: ${server} is plain HTTP; Berth serves its API over HTTPS, use https://`, 'server');
  }
}

// OpenSSL's verdicts on a certificate chain, as Node reports them in `code`.
const VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A BerthError when err is a failed certificate check (the error itself or one in its cause chain). */
export function trustFailure(server: string, err: unknown, ca: string | undefined): BerthError | undefined {
  let cur = err as { cause?: unknown; code?: string; message?: string } | undefined;
  while (cur && !VERIFY_CODES.has(cur.code ?? '')) cur = cur.cause as typeof cur;
  if (!cur) return undefined;
  const reason =
    cur.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `its certificate is not for this address (${cur.message ?? cur.code})` : `${cur.message ?? cur.code}`;
  const fix = ca
    ? 'the CA in your config (or --certificate-authority) is not the one that signed it: get the right one from your admin (`berth config ca` on the management node) or run `berth login --server URL` to check and trust it'
    : 'no CA is configured for it: pass --certificate-authority FILE (your admin has it: `berth config ca`) or run `berth login --server URL` to check and trust it';
  return new BerthError('Untrusted', `refusing to talk to ${server}: ${reason}; ${fix}`);
}
