// Trust for the controller's self-signed certificate, pinned by the fingerprint in the join token
// (as k3s agents check the cluster CA against their token). The pin is checked on each TLS
// connection gRPC opens, once the handshake is done and before gRPC writes a byte on it: only the
// certificate whose SHA-256 the token names is accepted, and TLS has proved the controller holds its
// key. So nothing is fetched beforehand: a first join costs two TLS handshakes (the join, then the
// mutual-TLS stream), not three, and neither end parses the certificate as a CA.
import * as grpc from '@grpc/grpc-js';
import type { TLSSocket } from 'node:tls';
import { certificateFingerprint } from '@berth/proto';

export class CertificateMismatchError extends Error {}

/** In the message of every refused certificate, so the connection can say "cannot establish trust". */
export const PIN_MISMATCH = 'does not match the join token';

/** "host:port" or "[v6]:port" into its parts. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  if (!m) throw new Error(`controller address "${address}" is not HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}

type SecureConnector = ReturnType<grpc.ChannelCredentials['_createSecureConnector']>;

/** Why the controller's certificate is refused, or undefined when it is the pinned one and valid now. */
export function pinRefusal(socket: TLSSocket, fingerprint: string, nowMs: number): CertificateMismatchError | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert?.raw) return new CertificateMismatchError(`the controller presented no certificate, which ${PIN_MISMATCH}`);
  const seen = certificateFingerprint(cert.raw);
  if (seen !== fingerprint) {
    return new CertificateMismatchError(`controller certificate ${seen.slice(0, 16)}… ${PIN_MISMATCH}'s ${fingerprint.slice(0, 16)}…`);
  }
  // What chain verification checked when the pinned certificate was the only trusted one.
  if (!(nowMs >= Date.parse(cert.valid_from) && nowMs <= Date.parse(cert.valid_to))) {
    return new CertificateMismatchError(`the pinned controller certificate is valid only from ${cert.valid_from} to ${cert.valid_to}`);
  }
  return undefined;
}

/**
 * gRPC's own TLS with chain verification off, and the pin checked instead on every connection. A
 * refused connection is closed and fails like an unreachable controller (UNAVAILABLE, with the
 * reason in the details), so the channel keeps retrying: the operator may fix the token.
 */
class PinnedChannelCredentials extends grpc.ChannelCredentials {
  constructor(
    private readonly tls: grpc.ChannelCredentials,
    private readonly fingerprint: string,
    private readonly now: () => number,
  ) {
    super();
  }

  _isSecure(): boolean {
    return true;
  }

  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: Parameters<grpc.ChannelCredentials['_createSecureConnector']>): SecureConnector {
    const inner = this.tls._createSecureConnector(...args);
    return {
      connect: async (socket) => {
        const result = await inner.connect(socket);
        const refusal = pinRefusal(result.socket as TLSSocket, this.fingerprint, this.now());
        if (refusal) {
          result.socket.destroy();
          throw refusal;
        }
        return result;
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}

/**
 * Channel credentials that accept only the certificate whose fingerprint the token names, and
 * present the node's own certificate when it has one (mutual TLS).
 */
export function pinnedCredentials(fingerprint: string, client?: { keyPem: string; certPem: string }, now: () => number = Date.now): grpc.ChannelCredentials {
  // node:tls is not imported: Node's ES facade of a built-in reads every export once, and for tls
  // that materialises rootCertificates, ~140 PEM strings kept for the process's life (+1.1 MB RSS
  // in a bare node). Likewise node:fs and node:util in the agent (+1.0, +0.4 MB).
  const context = process.getBuiltinModule('node:tls').createSecureContext(client ? { key: client.keyPem, cert: client.certPem } : {});
  // The pin replaces both the chain and the host-name check, so agents may reach the controller by any address.
  return new PinnedChannelCredentials(grpc.credentials.createFromSecureContext(context, { rejectUnauthorized: false }), fingerprint, now);
}
