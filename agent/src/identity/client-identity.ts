// The node's identity as the connection sees it: a key and the certificate Berth's CA issued for it.

export interface ClientIdentity {
  keyPem: string;
  certPem: string;
  notBeforeMs: number;
  notAfterMs: number;
  /** When this node received it: CAs backdate notBefore for clock skew, so its life counts from here. */
  receivedAtMs: number;
}

export interface IdentityStore {
  /** The certificate to connect with, when one is held for the current key and still valid. */
  current(): Promise<ClientIdentity | undefined>;
  /** The public key (SPKI PEM) a certificate is asked for; the key is made and kept on first use. */
  publicKey(): Promise<string>;
  /** Keeps a certificate the controller issued (it must be for the current key). */
  save(certPem: string): Promise<ClientIdentity>;
}

// Renewed at two thirds of its life (kubelet renews between 70 and 90 %): a controller that is
// down for a while still leaves a third of the lifetime to renew in.
const RENEW_AT = 2 / 3;

/** How long until the certificate should be renewed (0: now). */
export function renewalDelayMs(id: Pick<ClientIdentity, 'notBeforeMs' | 'notAfterMs' | 'receivedAtMs'>, now: number): number {
  const from = Math.min(Math.max(id.notBeforeMs, id.receivedAtMs), id.notAfterMs);
  return Math.max(0, Math.floor(from + (id.notAfterMs - from) * RENEW_AT - now));
}
