// The join token an agent is given: the controller's certificate fingerprint and a shared secret,
// `K10<sha256 of the certificate, hex>::<secret>` (the shape k3s uses). The fingerprint lets an
// agent trust the controller's self-signed certificate without a CA; the secret lets the
// controller trust the agent. Only the secret is compared by the controller.
import { createHash } from 'node:crypto';

const PATTERN = /^K10([0-9a-f]{64})::([A-Za-z0-9_\-.~+/=]{16,256})$/;

/** How a malformed token is explained (never echo the token itself: it holds the secret). */
export const JOIN_TOKEN_FORMAT = 'expected K10<fingerprint>::<secret>, as the controller writes it to DATA_DIR/join-token';

export interface JoinToken {
  /** SHA-256 of the controller certificate's DER bytes, lower-case hex. */
  fingerprint: string;
  secret: string;
}

export function formatJoinToken(t: JoinToken): string {
  return `K10${t.fingerprint}::${t.secret}`;
}

/** undefined when the text is not a whole join token. */
export function parseJoinToken(text: string): JoinToken | undefined {
  const m = PATTERN.exec(text.trim());
  return m ? { fingerprint: m[1], secret: m[2] } : undefined;
}

export function certificateFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}
