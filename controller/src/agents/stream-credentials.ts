// TLS for the agent stream: the controller's own certificate (pinned by join tokens) and, when the
// agent has one, a client certificate that must chain to Berth's CA. A client certificate is asked
// for but not required, because a joining agent has none yet; whether a stream without one may do
// anything is the hub's decision (node-identity/admit-agent.ts).
//
// No TLS session tickets: gRPC clients never resume a session, so the two tickets OpenSSL sends
// after every TLS 1.3 handshake are work for nothing on both ends: 0.4-0.75 ms of CPU per
// handshake (npm run bench:connections), and a joining node makes two handshakes. With
// SSL_OP_NO_TICKET TLS 1.3 still sends a 32-byte session id, which nothing stores.
import { constants } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/** Certificates that do not change while the controller runs, with the server options gRPC's own credentials cannot take. */
class StreamServerCredentials extends grpc.ServerCredentials {
  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function streamServerCredentials(server: { cert: string; key: string }, clientCaPem: string): grpc.ServerCredentials {
  return new StreamServerCredentials(
    { requestCert: true, rejectUnauthorized: false, secureOptions: constants.SSL_OP_NO_TICKET },
    { ca: [Buffer.from(clientCaPem)], cert: [Buffer.from(server.cert)], key: [Buffer.from(server.key)] },
  );
}
