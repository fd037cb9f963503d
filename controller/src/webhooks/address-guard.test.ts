import { describe, expect, it } from 'vitest';
import { addressJudge, parseNetwork } from './address-guard.ts';
import { pickAddress } from './deliver.ts';

describe('addressJudge', () => {
  const strict = addressJudge({ allow: [], nodes: ['10.77.0.11'], own: ['203.0.113.7'] });

  it('refuses loopback, private, link-local (cloud metadata), CGNAT, multicast and unspecified addresses, v4 and v6', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::5',
      '::ffff:127.0.0.1',
      '64:ff9b::a00:1',
    ]) {
      expect({ ip, refused: strict(ip) !== undefined }).toEqual({ ip, refused: true });
    }
  });

  it("refuses the nodes' and the controller's own addresses, and allows public ones", () => {
    expect(strict('10.77.0.11')).toBe('a compute node of this cluster');
    expect(strict('203.0.113.7')).toBe("the controller's own address");
    expect(strict('198.51.100.20')).toBeUndefined();
    expect(strict('2001:db8::1')).toBeUndefined();
  });

  it('lets an operator allow private networks, but never a node', () => {
    const judge = addressJudge({ allow: ['10.0.0.0/8', '127.0.0.1'], nodes: ['10.77.0.11'], own: [] });
    expect(judge('10.20.0.5')).toBeUndefined();
    expect(judge('127.0.0.1')).toBeUndefined();
    expect(judge('127.0.0.2')).toBe('a loopback address');
    expect(judge('10.77.0.11')).toBe('a compute node of this cluster');
  });
});

describe('pickAddress', () => {
  const judge = addressJudge({ allow: [], nodes: [], own: [] });

  it('refuses a name when any of its addresses is forbidden (no picking the harmless one)', async () => {
    const r = await pickAddress('hooks.example', judge, async () => ['198.51.100.20', '127.0.0.1']);
    expect(r).toEqual({ error: 'refused: hooks.example resolves to 127.0.0.1, a loopback address' });
  });

  it('judges IP literals, bracketed IPv6 included, without resolving', async () => {
    const never = async () => {
      throw new Error('resolved');
    };
    expect(await pickAddress('169.254.169.254', judge, never)).toEqual({ error: 'refused: 169.254.169.254 resolves to 169.254.169.254, a link-local address' });
    expect(await pickAddress('[::1]', judge, never)).toEqual({ error: 'refused: ::1 resolves to ::1, a loopback address' });
    expect(await pickAddress('198.51.100.20', judge, never)).toEqual({ address: '198.51.100.20' });
  });

  it('says when a name does not resolve', async () => {
    const r = await pickAddress('nowhere.invalid', judge, async () => {
      throw Object.assign(new Error('x'), { code: 'ENOTFOUND' });
    });
    expect(r).toEqual({ error: 'cannot resolve nowhere.invalid: ENOTFOUND' });
  });
});

describe('parseNetwork', () => {
  it('reads CIDRs and bare addresses and refuses the rest', () => {
    expect(parseNetwork('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseNetwork('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 'ipv6' });
    expect(parseNetwork('127.0.0.1')).toEqual({ address: '127.0.0.1', prefix: 32, family: 'ipv4' });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/x', 'example.com/8', '10.0.0.0/8/1', '', '10.0.0.0/']) expect(parseNetwork(bad)).toBeUndefined();
  });
});
