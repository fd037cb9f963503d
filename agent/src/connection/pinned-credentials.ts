// Trust for the controller's self-signed certificate, pinned by the fingerprint in the join token
// (as k3s agents check the cluster CA against their token): fetch the certificate once over TLS,
// compare its SHA-256 with the token, then let gRPC trust exactly that certificate.
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { certificateFingerprint } from '@berth/proto';

export class CertificateMismatchError extends Error {}

/** "host:port" or "[v6]:port" into its parts. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  if (!m) throw new Error(`controller address "${address}" is not HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}

function fetchCertificate(address: string, timeoutMs: number): Promise<PeerCertificate> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve, reject) => {
    // Not verified here on purpose: the fingerprint check below is the verification.
    // node:tls is not imported: Node's ES facade of a built-in reads every export once, and for
    // tls that materialises rootCertificates, ~140 PEM strings kept for the process's life (+1.1 MB
    // RSS in a bare node). Likewise node:fs and node:util in the agent (+1.0, +0.4 MB).
    const socket = process.getBuiltinModule('node:tls').connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: timeoutMs });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS answer from ${address} within ${timeoutMs} ms`)));
    socket.once('error', reject);
  });
}

const toPem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;

/**
 * Channel credentials that accept only the certificate whose fingerprint the token names, and
 * present the node's own certificate when it has one (mutual TLS).
 */
export async function pinnedCredentials(
  address: string,
  fingerprint: string,
  timeoutMs = 5000,
  client?: { keyPem: string; certPem: string },
): Promise<grpc.ChannelCredentials> {
  return pinnedCredentialsFor(address, fingerprint, timeoutMs)(client);
}

/**
 * pinnedCredentials for one agent: the certificate is fetched once and kept, since the pin fixes
 * it; a reconnect (or the second channel of a first join) needs no extra TLS round trip.
 */
export function pinnedCredentialsFor(
  address: string,
  fingerprint: string,
  timeoutMs = 5000,
): (client?: { keyPem: string; certPem: string }) => Promise<grpc.ChannelCredentials> {
  let pinned: Buffer | undefined;
  return async (client) => {
    pinned ??= await fetchPinned(address, fingerprint, timeoutMs);
    return credentialsFor(pinned, fingerprint, client);
  };
}

async function fetchPinned(address: string, fingerprint: string, timeoutMs: number): Promise<Buffer> {
  const cert = await fetchCertificate(address, timeoutMs);
  const seen = certificateFingerprint(cert.raw);
  if (seen !== fingerprint) {
    throw new CertificateMismatchError(`controller certificate ${seen.slice(0, 16)}… does not match the join token's ${fingerprint.slice(0, 16)}…`);
  }
  return cert.raw;
}

function credentialsFor(raw: Buffer, fingerprint: string, client?: { keyPem: string; certPem: string }): grpc.ChannelCredentials {
  const key = client ? Buffer.from(client.keyPem) : null;
  return grpc.credentials.createSsl(Buffer.from(toPem(raw)), key, client ? Buffer.from(client.certPem) : null, {
    // The pin replaces the host-name check, so agents may reach the controller by any address.
    checkServerIdentity: (_host, peer) =>
      certificateFingerprint(peer.raw) === fingerprint ? undefined : new CertificateMismatchError('controller certificate changed'),
  });
}
