import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.ts';
import type { NatEndpoint } from './endpoint.ts';
import { chainNames, jumpArgv, renderIptablesRestore, renderJumpRules } from './render-rules.ts';

const web: NatEndpoint = { key: 'res-b/http', publicAddress: '203.0.113.7', natPort: 30010, nodeAddress: '10.0.0.10', nodePort: 20001 };
const db: NatEndpoint = { key: 'res-a/pg', publicAddress: '203.0.113.7', natPort: 30002, nodeAddress: '10.0.0.9', nodePort: 20005 };
const local: NatEndpoint = { key: 'res-c/http', publicAddress: '127.0.0.1', natPort: 30003, nodeAddress: '127.0.0.1', nodePort: 20009 };

function rejection(endpoints: NatEndpoint[], prefix?: string): BerthError {
  try {
    renderIptablesRestore(endpoints, { chainPrefix: prefix });
  } catch (err) {
    return err as BerthError;
  }
  throw new Error('expected the render to throw');
}

describe('renderIptablesRestore', () => {
  it('renders DNAT, MASQUERADE for remote nodes only, and FORWARD accepts, sorted by address and port', () => {
    expect(renderIptablesRestore([web, local, db])).toBe(
      [
        '*nat',
        ':BERTH-DNAT - [0:0]',
        ':BERTH-POSTROUTING - [0:0]',
        '-A BERTH-DNAT -d 127.0.0.1/32 -p tcp -m tcp --dport 30003 -m comment --comment "res-c/http" -j DNAT --to-destination 127.0.0.1:20009',
        '-A BERTH-DNAT -d 203.0.113.7/32 -p tcp -m tcp --dport 30002 -m comment --comment "res-a/pg" -j DNAT --to-destination 10.0.0.9:20005',
        '-A BERTH-DNAT -d 203.0.113.7/32 -p tcp -m tcp --dport 30010 -m comment --comment "res-b/http" -j DNAT --to-destination 10.0.0.10:20001',
        '-A BERTH-POSTROUTING -d 10.0.0.9/32 -p tcp -m tcp --dport 20005 -m conntrack --ctstate DNAT -j MASQUERADE',
        '-A BERTH-POSTROUTING -d 10.0.0.10/32 -p tcp -m tcp --dport 20001 -m conntrack --ctstate DNAT -j MASQUERADE',
        'COMMIT',
        '*filter',
        ':BERTH-FORWARD - [0:0]',
        ':BERTH-INPUT - [0:0]',
        '-A BERTH-FORWARD -d 10.0.0.9/32 -p tcp -m tcp --dport 20005 -j ACCEPT',
        '-A BERTH-FORWARD -s 10.0.0.9/32 -p tcp -m tcp --sport 20005 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A BERTH-FORWARD -d 10.0.0.10/32 -p tcp -m tcp --dport 20001 -j ACCEPT',
        '-A BERTH-FORWARD -s 10.0.0.10/32 -p tcp -m tcp --sport 20001 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A BERTH-FORWARD -d 127.0.0.1/32 -p tcp -m tcp --dport 20009 -j ACCEPT',
        '-A BERTH-FORWARD -s 127.0.0.1/32 -p tcp -m tcp --sport 20009 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A BERTH-INPUT ! -s 127.0.0.0/8 -d 127.0.0.0/8 ! -i lo -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('renders the same text whatever the input order', () => {
    const a = renderIptablesRestore([web, db, local]);
    expect(renderIptablesRestore([local, db, web])).toBe(a);
    expect(renderIptablesRestore([db, local, web])).toBe(a);
  });

  it('renders one node rule per node destination even when endpoints share it', () => {
    const twin = { ...web, key: 'res-b/alt', natPort: 30011 };
    const text = renderIptablesRestore([web, twin]);
    expect(text.match(/-j MASQUERADE/g)).toHaveLength(1);
    expect(text.match(/-j DNAT/g)).toHaveLength(2);
  });

  it('still declares, and so flushes, every chain for an empty set', () => {
    expect(renderIptablesRestore([], { chainPrefix: 'BT1' })).toBe(
      [
        '*nat',
        ':BT1-DNAT - [0:0]',
        ':BT1-POSTROUTING - [0:0]',
        'COMMIT',
        '*filter',
        ':BT1-FORWARD - [0:0]',
        ':BT1-INPUT - [0:0]',
        '-A BT1-INPUT ! -s 127.0.0.0/8 -d 127.0.0.0/8 ! -i lo -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['a non-IPv4 public address', { publicAddress: '2001:db8::1' }, 'endpoints[0].publicAddress'],
    ['a hostname node address', { nodeAddress: 'node-1' }, 'endpoints[0].nodeAddress'],
    ['an octet out of range', { nodeAddress: '10.0.0.256' }, 'endpoints[0].nodeAddress'],
    ['port 0', { natPort: 0 }, 'endpoints[0].natPort'],
    ['port 65536', { nodePort: 65536 }, 'endpoints[0].nodePort'],
    ['a fractional port', { natPort: 80.5 }, 'endpoints[0].natPort'],
    ['a key with a quote', { key: 'res"/x' }, 'endpoints[0].key'],
    ['a key with a space', { key: 'res a/x' }, 'endpoints[0].key'],
  ])('rejects %s as Invalid', (_name, patch, field) => {
    const err = rejection([{ ...web, ...patch } as NatEndpoint]);
    expect(err).toBeInstanceOf(BerthError);
    expect(err.code).toBe('Invalid');
    expect(err.field).toBe(field);
  });

  it('rejects two endpoints on the same public address and port', () => {
    const err = rejection([web, { ...db, natPort: web.natPort }]);
    expect(err.code).toBe('Invalid');
    expect(err.field).toBe('endpoints[1].natPort');
  });

  it('rejects a duplicate key', () => {
    expect(rejection([web, { ...db, key: web.key }]).field).toBe('endpoints[1].key');
  });

  it('rejects a chain prefix iptables cannot hold', () => {
    expect(rejection([], 'BERTH-WITH-A-FAR-TOO-LONG-NAME').field).toBe('chainPrefix');
    expect(rejection([], 'bad prefix').code).toBe('Invalid');
  });
});

describe('renderJumpRules', () => {
  it('hooks PREROUTING and OUTPUT to DNAT, POSTROUTING, FORWARD and INPUT to their own chains', () => {
    const c = chainNames('BT2');
    expect(renderJumpRules('BT2').map((j) => jumpArgv(j, '-I'))).toEqual([
      ['-w', '5', '-t', 'nat', '-I', 'PREROUTING', '1', '-j', c.dnat],
      ['-w', '5', '-t', 'nat', '-I', 'OUTPUT', '1', '-j', c.dnat],
      ['-w', '5', '-t', 'nat', '-I', 'POSTROUTING', '1', '-j', c.postrouting],
      ['-w', '5', '-t', 'filter', '-I', 'FORWARD', '1', '-j', c.forward],
      ['-w', '5', '-t', 'filter', '-I', 'INPUT', '1', '-j', c.input],
    ]);
  });

  it('checks and deletes without a position', () => {
    const [prerouting] = renderJumpRules();
    expect(jumpArgv(prerouting, '-C')).toEqual(['-w', '5', '-t', 'nat', '-C', 'PREROUTING', '-j', 'BERTH-DNAT']);
    expect(jumpArgv(prerouting, '-D')).toEqual(['-w', '5', '-t', 'nat', '-D', 'PREROUTING', '-j', 'BERTH-DNAT']);
  });
});
