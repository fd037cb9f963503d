// A node identity held in memory: simulated nodes (hollow agents) and in-process tests.
import { identityOf, newKeyPem, publicKeyPemOf } from './identity-files.ts';
import type { ClientIdentity, IdentityStore } from './client-identity.ts';

export class MemoryIdentityStore implements IdentityStore {
  private readonly keyPem = newKeyPem();
  private identity?: ClientIdentity;

  async current(): Promise<ClientIdentity | undefined> {
    return this.identity && this.identity.notAfterMs > Date.now() ? this.identity : undefined;
  }

  async publicKey(): Promise<string> {
    return publicKeyPemOf(this.keyPem);
  }

  async save(certPem: string): Promise<ClientIdentity> {
    const id = identityOf(this.keyPem, certPem, Date.now());
    if (!id) throw new Error('certificate is not for this key or not valid now');
    this.identity = id;
    return id;
  }
}
