// A node identity held in memory: simulated nodes (hollow agents) and in-process tests. The key is
// kept parsed: a thousand hollow nodes in one process otherwise spend seconds re-reading PEM keys.
import { createPublicKey } from 'node:crypto';
import { identityOf, newKey } from './identity-files.ts';
import type { ClientIdentity, IdentityStore } from './client-identity.ts';

export class MemoryIdentityStore implements IdentityStore {
  private readonly key = newKey();
  private identity?: ClientIdentity;

  async current(): Promise<ClientIdentity | undefined> {
    return this.identity && this.identity.notAfterMs > Date.now() ? this.identity : undefined;
  }

  async publicKey(): Promise<string> {
    return createPublicKey(this.key.key).export({ format: 'pem', type: 'spki' }).toString();
  }

  async save(certPem: string): Promise<ClientIdentity> {
    const id = identityOf(this.key.pem, certPem, Date.now(), Date.now(), this.key.key);
    if (!id) throw new Error('certificate is not for this key or not valid now');
    this.identity = id;
    return id;
  }
}
