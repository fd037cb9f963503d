// TLS for the agent stream: the controller's own certificate (pinned by join tokens) and, when the
// agent has one, a client certificate that must chain to Berth's CA. A client certificate is asked
// for but not required, because a joining agent has none yet; whether a stream without one may do
// anything is the hub's decision (node-identity/admit-agent.ts). gRPC's certificate-provider
// credentials are the public way to say "request, do not require".
import * as grpc from '@grpc/grpc-js';

type Listener<T> = (update: T | null) => void;

/**
 * Certificates that do not change while the controller runs. Delivered on the next tick, as
 * gRPC's file watcher does: gRPC registers its own watcher only after adding these listeners, and
 * an answer given at once would reach no one (the port would drop every connection).
 */
class StaticCertificates {
  constructor(
    private readonly identity: { certificate: Buffer; privateKey: Buffer },
    private readonly ca: { caCertificate: Buffer },
  ) {}
  addCaCertificateListener(l: Listener<{ caCertificate: Buffer }>): void {
    queueMicrotask(() => l(this.ca));
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(l: Listener<{ certificate: Buffer; privateKey: Buffer }>): void {
    queueMicrotask(() => l(this.identity));
  }
  removeIdentityCertificateListener(): void {}
}

export function streamServerCredentials(server: { cert: string; key: string }, clientCaPem: string): grpc.ServerCredentials {
  const certs = new StaticCertificates(
    { certificate: Buffer.from(server.cert), privateKey: Buffer.from(server.key) },
    { caCertificate: Buffer.from(clientCaPem) },
  );
  return grpc.experimental.createCertificateProviderServerCredentials(certs, certs, false);
}
