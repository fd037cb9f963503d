import { describe, expect, it } from 'vitest';
import { admitAgent, nameHeld, type AdmissionFacts } from './admit-agent.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const held = { identityKeyHash: 'k1', identityExpiresAt: new Date(NOW + 86_400_000) };
const base: AdmissionFacts = {
  nodeName: 'cn1',
  address: '10.0.0.11',
  peerIp: '10.0.0.11',
  agentsBehindNat: false,
  token: { ok: true },
  publicKeyGiven: true,
  node: null,
  now: NOW,
};

describe('admitting an agent', () => {
  it('issues an identity for a new name, or a name whose identity was revoked or expired', () => {
    expect(admitAgent(base).kind).toBe('issue');
    expect(admitAgent({ ...base, node: { identityKeyHash: null, identityExpiresAt: null } }).kind).toBe('issue');
    expect(admitAgent({ ...base, node: { ...held, identityExpiresAt: new Date(NOW) } }).kind).toBe('issue');
  });

  it('leaves a name held by another identity to the claim, and says the same as it does', () => {
    // NodeIdentities.claim refuses it (node-identities.test.ts); the agent hears nameHeld.
    expect(admitAgent({ ...base, node: held }).kind).toBe('issue');
    expect(nameHeld('cn1')).toMatchObject({
      kind: 'refuse',
      status: 'PERMISSION_DENIED',
      details: expect.stringContaining('belongs to another node identity'),
    });
  });

  it('refuses a bad token before anything else is said, and a token without a key', () => {
    expect(admitAgent({ ...base, token: { ok: false, refusal: 'expired' }, node: held })).toMatchObject({
      status: 'UNAUTHENTICATED',
      details: 'join token expired',
    });
    expect(admitAgent({ ...base, publicKeyGiven: false })).toMatchObject({ status: 'INVALID_ARGUMENT' });
  });

  it('opens a session for the certificate of that node and key only', () => {
    const peer = { commonName: 'cn1', keyHash: 'k1' };
    expect(admitAgent({ ...base, peer, node: held, token: { ok: false, refusal: 'invalid' } }).kind).toBe('session');
    expect(admitAgent({ ...base, peer: { ...peer, commonName: 'cn2' }, node: held })).toMatchObject({ status: 'PERMISSION_DENIED' });
    expect(admitAgent({ ...base, peer, node: { ...held, identityKeyHash: 'k2' } })).toMatchObject({
      status: 'UNAUTHENTICATED',
      reason: 'identity revoked or replaced',
    });
    expect(admitAgent({ ...base, peer, node: { identityKeyHash: null, identityExpiresAt: null } })).toMatchObject({ status: 'UNAUTHENTICATED' });
  });

  it('refuses an address other than the one the agent connects from, unless agents are behind NAT', () => {
    expect(admitAgent({ ...base, address: '10.0.0.12' })).toMatchObject({
      status: 'PERMISSION_DENIED',
      details: expect.stringContaining('--agents-behind-nat'),
    });
    expect(admitAgent({ ...base, address: '10.0.0.12', agentsBehindNat: true }).kind).toBe('issue');
  });
});
