// Node identities in the store: a certificate from Berth's CA is issued for a name no live identity
// holds (the claim is one conditional write, so two claimants cannot both win), renewed for the
// same key, and revoked by forgetting the key: no certificate for it is accepted again.
import type { Logger } from 'pino';
import type { NodeIdentity } from '@berth/proto';
import type { PrismaClient as Db } from '../store/index.ts';
import { isUniqueViolation } from '../store/index.ts';
import { BerthError } from '../errors/index.ts';
import { issueClientCertificate, type CertificateAuthority } from '../pki/index.ts';
import { publicKeyHash } from './peer.ts';

export interface ClaimInput {
  nodeName: string;
  publicKeyPem: string;
  address: string;
  cores: number;
  memoryMiB: number;
  /** Whether the name has a row, as the caller last read; only orders the writes. */
  nameExists?: boolean;
}

export class NodeIdentities {
  constructor(
    private readonly db: Db,
    private readonly ca: CertificateAuthority,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  get caPem(): string {
    return this.ca.certPem;
  }

  /** Issues and records an identity; undefined when another identity got the name first. */
  async claim(input: ClaimInput, now: number): Promise<NodeIdentity | undefined> {
    const issued = await this.issue(input.nodeName, input.publicKeyPem, now);
    const identity = {
      identitySerial: issued.serial,
      identityKeyHash: publicKeyHash(issued.spkiDer),
      identityExpiresAt: new Date(issued.expiresAtMs),
      identityRevokedAt: null,
    };
    // Free, or held by this very key (a retry whose first certificate never arrived).
    const free = {
      name: input.nodeName,
      OR: [{ identityKeyHash: null }, { identityExpiresAt: { lte: new Date(now) } }, { identityKeyHash: identity.identityKeyHash }],
    };
    const takeFree = async () => (await this.db.node.updateMany({ where: free, data: identity })).count > 0;
    const insert = async () => {
      try {
        await this.db.node.create({ data: { name: input.nodeName, address: input.address, cores: input.cores, memoryMiB: input.memoryMiB, ...identity } });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false; // the name exists
        throw err;
      }
    };
    // The write likely to succeed goes first (a joining node's name is new: one statement, not
    // two); the other follows when it does not, so a name made or freed in between is still right.
    const won = input.nameExists === false ? (await insert()) || (await takeFree()) : (await takeFree()) || (await insert());
    if (!won) return undefined; // the name exists and its identity is live
    this.log.info({ node: input.nodeName, serial: issued.serial, expiresAt: identity.identityExpiresAt.toISOString() }, 'node identity issued');
    return issued.message;
  }

  /** A new certificate for the key the node already proved it holds. */
  async renew(nodeId: string, nodeName: string, spkiDer: Buffer, now: number): Promise<NodeIdentity | undefined> {
    const issued = await this.issue(nodeName, spkiDer, now);
    const { count } = await this.db.node.updateMany({
      where: { id: nodeId, identityKeyHash: publicKeyHash(spkiDer) },
      data: { identitySerial: issued.serial, identityExpiresAt: new Date(issued.expiresAtMs) },
    });
    if (count === 0) return undefined; // revoked meanwhile
    this.log.info({ node: nodeName, serial: issued.serial, expiresAt: new Date(issued.expiresAtMs).toISOString() }, 'node certificate renewed');
    return issued.message;
  }

  /** Forgets the node's key: its certificates are refused from now on. Returns the node's id. */
  async revoke(name: string, now: number): Promise<string> {
    const node = await this.db.node.findUnique({ where: { name }, select: { id: true } });
    if (!node) throw new BerthError('NotFound', `node "${name}" not found`);
    await this.db.node.update({
      where: { id: node.id },
      data: { identityKeyHash: null, identitySerial: null, identityExpiresAt: null, identityRevokedAt: new Date(now) },
    });
    return node.id;
  }

  private async issue(nodeName: string, publicKey: string | Buffer, now: number) {
    const issued = await issueClientCertificate(this.ca, { commonName: nodeName, publicKey, ttlMs: this.ttlMs, now });
    const expiresAtMs = issued.notAfter.getTime();
    return {
      serial: issued.serial,
      spkiDer: issued.spkiDer,
      expiresAtMs,
      message: { certificatePem: issued.certPem, caPem: issued.caPem, expiresAtMs } satisfies NodeIdentity,
    };
  }
}
