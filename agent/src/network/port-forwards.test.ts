import { describe, expect, it } from 'vitest';
import { renderedChain } from './isolation-rules.ts';
import { PORT_JUMPS, portJumpListing, renderPortForwards, type PortForward } from './port-forwards.ts';

const forward = (over: Partial<PortForward> = {}): PortForward => ({
  hostIp: '10.0.0.5',
  hostPort: 31000,
  targetIp: '172.18.0.2',
  targetPort: 80,
  reservationId: 'r1',
  ...over,
});

describe('renderPortForwards', () => {
  it('replaces the nat chain with one DNAT per forward, as iptables -t nat -S prints it', () => {
    expect(renderPortForwards([forward(), forward({ hostIp: '', hostPort: 31001, targetIp: '172.18.0.3', targetPort: 8080, reservationId: 'r2' })])).toBe(
      [
        '*nat',
        ':BERTH-PORTS - [0:0]',
        '-A BERTH-PORTS -d 10.0.0.5/32 -p tcp -m tcp --dport 31000 -j DNAT --to-destination 172.18.0.2:80',
        '-A BERTH-PORTS -p tcp -m tcp --dport 31001 -j DNAT --to-destination 172.18.0.3:8080',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('with no forwards still declares the chain, so the restore empties it', () => {
    expect(renderPortForwards([])).toBe('*nat\n:BERTH-PORTS - [0:0]\nCOMMIT\n');
  });

  it('matches every local address for 0.0.0.0 as for an empty host address', () => {
    expect(renderedChain(renderPortForwards([forward({ hostIp: '0.0.0.0' })]), 'BERTH-PORTS')).toEqual([
      '-A BERTH-PORTS -p tcp -m tcp --dport 31000 -j DNAT --to-destination 172.18.0.2:80',
    ]);
  });

  it('renders the same text whatever the order of the forwards: by port, then by address', () => {
    const forwards = [
      forward({ hostIp: '10.0.0.9', hostPort: 32000 }),
      forward({ hostIp: '10.0.0.10', hostPort: 31000 }),
      forward({ hostIp: '10.0.0.9', hostPort: 31000 }),
      forward({ hostIp: '', hostPort: 30000 }),
    ];
    const text = renderPortForwards(forwards);
    expect(renderPortForwards([...forwards].reverse())).toBe(text);
    expect(renderedChain(text, 'BERTH-PORTS').map((l) => l.split(' -j ')[0])).toEqual([
      '-A BERTH-PORTS -p tcp -m tcp --dport 30000',
      '-A BERTH-PORTS -d 10.0.0.9/32 -p tcp -m tcp --dport 31000',
      '-A BERTH-PORTS -d 10.0.0.10/32 -p tcp -m tcp --dport 31000',
      '-A BERTH-PORTS -d 10.0.0.9/32 -p tcp -m tcp --dport 32000',
    ]);
  });

  it.each([
    ['an IPv6 host address', { hostIp: '::1' }, /hostIp must be an IPv4 address/],
    ['a host name', { hostIp: 'node-1' }, /hostIp must be an IPv4 address/],
    ['an IPv6 target', { targetIp: 'fd00::2' }, /targetIp must be an IPv4 address/],
    ['an unspecified target', { targetIp: '0.0.0.0' }, /targetIp must be an IPv4 address other than 0.0.0.0/],
    ['host port 0', { hostPort: 0 }, /ports must be integers from 1 to 65535/],
    ['host port 65536', { hostPort: 65536 }, /ports must be integers from 1 to 65535/],
    ['a fractional target port', { targetPort: 80.5 }, /ports must be integers from 1 to 65535/],
  ])('refuses %s', (_what, over, message) => {
    expect(() => renderPortForwards([forward(over)])).toThrow(message);
  });

  it('refuses two forwards of one address and port, naming both reservations', () => {
    expect(() => renderPortForwards([forward(), forward({ reservationId: 'r2', targetPort: 81 })])).toThrow(
      'port 31000 on 10.0.0.5 is forwarded twice (reservations r1 and r2)',
    );
  });

  it('refuses a port on every address that is also forwarded on one address, and 0.0.0.0 beside an empty address', () => {
    expect(() => renderPortForwards([forward({ hostIp: '10.0.0.6' }), forward(), forward({ hostIp: '' })])).toThrow(/forwarded twice/);
    expect(() => renderPortForwards([forward({ hostIp: '0.0.0.0' }), forward({ hostIp: '' })])).toThrow(/forwarded twice/);
  });

  it('lets one port be forwarded on different addresses', () => {
    expect(() => renderPortForwards([forward(), forward({ hostIp: '10.0.0.6' })])).not.toThrow();
  });
});

describe('PORT_JUMPS', () => {
  it('hooks PREROUTING and OUTPUT for local destinations, OUTPUT not for loopback, as iptables -t nat -S prints them', () => {
    expect(PORT_JUMPS.map(portJumpListing)).toEqual([
      '-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH-PORTS',
      '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BERTH-PORTS',
    ]);
  });
});
