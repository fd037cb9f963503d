import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { helperWords } from './helper-request.ts';
import { normalizeStorageKey, storageAccount } from './storage-account.ts';

const KEY = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${'x'.repeat(48)}`;
const HELPER = fileURLToPath(new URL('../../../scripts/storage-node/berth-storage-helper.sh', import.meta.url));

/** The storage node's helper itself, given a request as sshd would; refusals happen before any effect. */
function helper(request: string) {
  const r = spawnSync('/bin/sh', [HELPER], { env: { PATH: '/usr/bin:/bin', SSH_ORIGINAL_COMMAND: request }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('storageAccount', () => {
  it('is bn-NODE, and stays within 32 characters for the longest node names', () => {
    expect(storageAccount('cn1')).toBe('bn-cn1');
    const long = storageAccount('a'.repeat(63));
    expect(long).toMatch(/^bn-a{20}-[0-9a-f]{8}$/);
    expect(storageAccount(`${'a'.repeat(62)}b`)).not.toBe(long);
  });

  it('accepts exactly one ed25519 public key, dropping its comment', () => {
    expect(normalizeStorageKey(`${KEY} berth-cn1\n`)).toBe(KEY);
    expect(normalizeStorageKey(`ssh-rsa AAAAB3NzaC1yc2E${'x'.repeat(48)}`)).toBeUndefined();
    expect(normalizeStorageKey(`${KEY.slice(0, -1)};`)).toBeUndefined();
  });
});

describe('helperWords', () => {
  it('builds the words of each request', () => {
    expect(helperWords({ verb: 'grant', reservationId: 'r-1', account: 'bn-cn1' })).toEqual(['grant', 'r-1', 'bn-cn1']);
    expect(helperWords({ verb: 'add-node', account: 'bn-cn1', publicKey: `${KEY} comment` })).toEqual(['add-node', 'bn-cn1', ...KEY.split(' ')]);
    expect(helperWords({ verb: 'release', reservationId: 'r-1' })).toEqual(['release', 'r-1']);
  });

  it('refuses bad names before anything reaches ssh, naming the field', () => {
    expect(() => helperWords({ verb: 'grant', reservationId: '../etc', account: 'bn-cn1' })).toThrow(/^reservation: /);
    expect(() => helperWords({ verb: 'grant', reservationId: 'r1', account: 'root' })).toThrow(/^account: /);
    expect(() => helperWords({ verb: 'remove-node', account: 'bn-x;id' })).toThrow(/^account: /);
    expect(() => helperWords({ verb: 'release', reservationId: '-rf' })).toThrow(/^reservation: /);
    expect(() => helperWords({ verb: 'add-node', account: 'bn-cn1', publicKey: 'ssh-ed25519 AAAA' })).toThrow(/^key: /);
  });
});

describe('berth-storage-helper (the storage-side script) refuses', () => {
  it.each([
    ['', /^berth-storage-helper: request: empty/],
    ['id', /^berth-storage-helper: verb: "id" is not one of/],
    ['grant r1 bn-a; rm -rf /', /^berth-storage-helper: request: only letters/],
    ['grant r1 $(id)', /^berth-storage-helper: request: only letters/],
    ['grant ../etc bn-a', /^berth-storage-helper: request: only letters/],
    ['grant -rf bn-a', /^berth-storage-helper: reservation: "-rf"/],
    ['grant r1 root', /^berth-storage-helper: account: "root"/],
    ['grant r1 bn-a extra', /^berth-storage-helper: grant: expected RESERVATION ACCOUNT/],
    ['revoke', /^berth-storage-helper: revoke: expected RESERVATION/],
    [`add-node bn-a ssh-rsa ${'A'.repeat(68)}`, /^berth-storage-helper: key type: /],
    ['add-node bn-a ssh-ed25519 AAAA', /^berth-storage-helper: key: /],
    [`remove-node bn-${'a'.repeat(30)}`, /^berth-storage-helper: account: /],
    [`release ${'r'.repeat(65)}`, /^berth-storage-helper: reservation: /],
  ])('%j', (request, message) => {
    const r = helper(request);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });
});
