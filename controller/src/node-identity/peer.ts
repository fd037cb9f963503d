// What the transport says about the other end of an agent stream: its IP and, when it presented
// one that chains to Berth's CA, its node certificate.
import { createHash } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { certificateSpki } from '../pki/index.ts';
import type { PeerIdentity } from './admit-agent.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** "10.0.0.11:5432", "[::1]:5432" or "::ffff:10.0.0.11:5432" -> the IPv4 or IPv6 address. */
export function peerIp(peer: string): string | undefined {
  const m = /^\[?(.+?)\]?:\d+$/.exec(peer.replace(/^ipv[46]:/, ''));
  return m ? m[1].replace(/^::ffff:/i, '') : undefined;
}

export const publicKeyHash = (spkiDer: Buffer): string => createHash('sha256').update(spkiDer).digest('hex');

/** The verified client certificate of the stream, if any, as a node identity. */
export function peerIdentity(call: ServerDuplexStream<unknown, unknown>): (PeerIdentity & { spkiDer: Buffer }) | undefined {
  // The TLS layer already parsed the certificate it verified: its fields are read, not re-parsed.
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert?.raw) return undefined; // none, or one that does not chain to the CA (the TLS layer said so)
  // Only client certificates name nodes: a server certificate of the same CA never does.
  if (!(cert.ext_key_usage ?? []).includes(CLIENT_AUTH)) return undefined;
  const commonName = cert.subject?.CN;
  if (typeof commonName !== 'string' || !commonName) return undefined;
  const spkiDer = certificateSpki(cert.raw);
  return { commonName, keyHash: publicKeyHash(spkiDer), spkiDer };
}
