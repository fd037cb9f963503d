// Who may open a node's stream (pure). A node certificate from Berth's CA is the only way to be a
// node; a bootstrap token only lets a machine ask for a certificate, and only for a name no live
// identity holds. The address a node registers must be the one it connects from, unless the
// operator said agents sit behind NAT.

export interface PeerIdentity {
  /** The certificate's common name: the node it was issued for. */
  commonName: string;
  /** SHA-256 of its public key (SPKI DER), hex. */
  keyHash: string;
}

export interface NodeIdentityRow {
  identityKeyHash: string | null;
  identityExpiresAt: Date | null;
}

export interface AdmissionFacts {
  nodeName: string;
  address: string;
  /** The IP the stream comes from; undefined when it cannot be told. */
  peerIp?: string;
  agentsBehindNat: boolean;
  /** A client certificate the TLS layer verified against Berth's CA. */
  peer?: PeerIdentity;
  /** Only looked at without a certificate. */
  token: { ok: true } | { ok: false; refusal: 'invalid' | 'expired' | 'revoked' };
  publicKeyGiven: boolean;
  /** The stored node of that name, if any: read for a certificate only (a join's claim is a conditional write). */
  node?: NodeIdentityRow | null;
  now: number;
}

export type Refusal = { kind: 'refuse'; status: 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'INVALID_ARGUMENT'; details: string; reason: string };
export type Admission = { kind: 'session' } | { kind: 'issue' } | Refusal;

const refuse = (status: Refusal['status'], reason: string, details: string): Refusal => ({ kind: 'refuse', status, reason, details });

export function admitAgent(f: AdmissionFacts): Admission {
  return f.peer ? admitCertificate(f, f.peer) : admitBootstrap(f);
}

function addressProblem(f: AdmissionFacts): Refusal | undefined {
  if (f.agentsBehindNat || f.peerIp === undefined || f.peerIp === f.address) return undefined;
  return refuse(
    'PERMISSION_DENIED',
    'address mismatch',
    `address ${f.address} is not the address this agent connects from (${f.peerIp}); if agents reach the controller through NAT, start it with --agents-behind-nat`,
  );
}

function admitCertificate(f: AdmissionFacts, peer: PeerIdentity): Admission {
  if (peer.commonName !== f.nodeName)
    return refuse('PERMISSION_DENIED', 'certificate for another node', `this certificate is for node "${peer.commonName}", not "${f.nodeName}"`);
  if (!f.node?.identityKeyHash || f.node.identityKeyHash !== peer.keyHash)
    return refuse(
      'UNAUTHENTICATED',
      'identity revoked or replaced',
      `node identity of "${f.nodeName}" was revoked or replaced: remove the agent's identity directory and join again with a bootstrap token`,
    );
  return addressProblem(f) ?? { kind: 'session' };
}

// The token is judged first: whoever does not hold one learns nothing about names or addresses.
function admitBootstrap(f: AdmissionFacts): Admission {
  if (!f.token.ok)
    return refuse('UNAUTHENTICATED', `${f.token.refusal} join token`, f.token.refusal === 'invalid' ? 'invalid join token' : `join token ${f.token.refusal}`);
  const address = addressProblem(f);
  if (address) return address;
  if (!f.publicKeyGiven)
    return refuse(
      'INVALID_ARGUMENT',
      'no public key',
      'a bootstrap token only asks for a node identity: send a public key (this agent is older than the controller)',
    );
  // Whether the name is free is the claim's to decide (NodeIdentities.claim, one conditional
  // write): a name another live identity holds is refused there with nameHeld, while the key that
  // holds it may ask again (its first answer was lost under load).
  return { kind: 'issue' };
}

/** The refusal of a join for a name another live identity holds (NodeIdentities.claim's conditional write decides it). */
export function nameHeld(nodeName: string): Refusal {
  return refuse(
    'PERMISSION_DENIED',
    'name held by another identity',
    `node name "${nodeName}" belongs to another node identity; revoke it first (berth node revoke ${nodeName})`,
  );
}
