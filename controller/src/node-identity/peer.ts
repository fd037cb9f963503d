// What the transport says about the other end of an agent stream: its IP and, when it presented
// one that chains to Berth's CA, its node certificate.
import { createHash, X509Certificate } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
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
  const raw = call.getAuthContext?.()?.sslPeerCertificate?.raw;
  if (!raw) return undefined; // none, or one that does not chain to the CA (the TLS layer said so)
  const cert = new X509Certificate(raw);
  // Only client certificates name nodes: a server certificate of the same CA never does.
  if (!(cert.keyUsage ?? []).includes(CLIENT_AUTH)) return undefined;
  const commonName = /^CN=(.+)$/m.exec(cert.subject)?.[1];
  if (!commonName) return undefined;
  const spkiDer = cert.publicKey.export({ format: 'der', type: 'spki' });
  return { commonName, keyHash: publicKeyHash(spkiDer), spkiDer };
}
