// What a hostile or broken agent can put in its first message, refused before anything is stored.
import { describe, expect, it } from 'vitest';
import type { Register } from '@berth/proto';
import { registerProblem } from './validate-register.ts';

const ok: Register = { nodeName: 'node-1', address: '10.0.0.5', cores: 4, memoryBytes: 8 * 1024 ** 3, joinToken: '', agentVersion: '0.1.0' };

describe('registerProblem', () => {
  it('accepts a well-formed registration, with or without keys', () => {
    expect(registerProblem(ok)).toBeUndefined();
    expect(registerProblem({ ...ok, publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' })).toBeUndefined();
  });

  it('names what is wrong: the node name, the address, the shape, the keys', () => {
    expect(registerProblem(undefined)).toBe('first message must be register');
    expect(registerProblem({ ...ok, nodeName: 'Node_1' })).toMatch(/node name "Node_1" must be a DNS-1123 label/);
    expect(registerProblem({ ...ok, nodeName: 'a'.repeat(64) })).toMatch(/DNS-1123 label/);
    expect(registerProblem({ ...ok, address: '10.0.0.5; rm -rf /' })).toMatch(/must be an IPv4 address/);
    expect(registerProblem({ ...ok, cores: 0 })).toMatch(/cores must be a positive integer/);
    expect(registerProblem({ ...ok, memoryBytes: 1024 })).toMatch(/memory must be at least 16Mi/);
    expect(registerProblem({ ...ok, storagePublicKey: 'ssh-rsa AAAA' })).toBe('storage public key must be one ssh-ed25519 public key');
    expect(registerProblem({ ...ok, publicKey: 'x'.repeat(16 * 1024 + 1) })).toBe('public key must be at most 16 KiB of PEM');
  });
});
