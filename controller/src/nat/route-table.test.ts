import { describe, expect, it } from 'vitest';
import { parseProcRoutes, routeDevice } from './route-table.ts';

// As this machine's /proc/net/route prints it: a default route, two /16 bridges, a /24.
const TABLE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
br1\t000018AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
down0\t0000000A\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0
`;

describe('routeDevice from /proc/net/route', () => {
  const routes = parseProcRoutes(TABLE);

  it('takes the longest matching prefix, then the lowest metric', () => {
    expect(routeDevice('172.17.0.5', routes, new Set())).toBe('docker0');
    expect(routeDevice('172.24.3.9', routes, new Set())).toBe('br1');
    expect(routeDevice('192.0.2.7', routes, new Set())).toBe('eth0');
    expect(routeDevice('8.8.8.8', routes, new Set())).toBe('eth0'); // the default route
  });

  it("routes this host's own addresses through lo and skips routes that are not up", () => {
    expect(routeDevice('192.0.2.2', routes, new Set(['192.0.2.2']))).toBe('lo');
    expect(routeDevice('10.0.0.1', routes, new Set())).toBe('eth0'); // down0 is not usable
  });

  it('places nothing without a matching route or for a non-IPv4 address', () => {
    const noDefault = routes.filter((r) => r.mask !== 0);
    expect(routeDevice('8.8.8.8', noDefault, new Set())).toBeUndefined();
    expect(routeDevice('fd00::1', routes, new Set())).toBeUndefined();
  });
});
