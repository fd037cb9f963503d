import { describe, expect, it } from 'vitest';
import { canonicalCidr, jumpListing, ISOLATION_JUMPS, protectedSet, renderedChain, renderIsolationRules } from './isolation-rules.ts';

describe('renderIsolationRules', () => {
  it('lets replies and same-tenant traffic through, refuses other tenants, protected networks and the node', () => {
    expect(renderIsolationRules({ protectedNetworks: ['10.0.0.0/24', '192.0.2.7/32'], egress: 'allow' })).toBe(
      [
        '*filter',
        ':BERTH-ISOLATION - [0:0]',
        ':BERTH-ISOLATION-IN - [0:0]',
        '-A BERTH-ISOLATION -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
        '-A BERTH-ISOLATION -i berth-+ -o berth-+ -m physdev --physdev-is-bridged -j RETURN',
        '-A BERTH-ISOLATION -i berth-+ -o berth-+ -j REJECT --reject-with icmp-port-unreachable',
        '-A BERTH-ISOLATION -i berth-+ -m conntrack --ctorigdst 10.0.0.0/24 -j REJECT --reject-with icmp-port-unreachable',
        '-A BERTH-ISOLATION -i berth-+ -m conntrack --ctorigdst 192.0.2.7 -j REJECT --reject-with icmp-port-unreachable',
        '-A BERTH-ISOLATION-IN -i berth-+ -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
        '-A BERTH-ISOLATION-IN -i berth-+ -j REJECT --reject-with icmp-port-unreachable',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('with egress denied refuses every connection a container opens beyond its network', () => {
    const lines = renderedChain(renderIsolationRules({ protectedNetworks: [], egress: 'deny' }), 'BERTH-ISOLATION');
    expect(lines.at(-1)).toBe('-A BERTH-ISOLATION -i berth-+ -j REJECT --reject-with icmp-port-unreachable');
    expect(lines.filter((l) => l.includes('ctorigdst'))).toEqual([]);
  });

  it('renders the same text whatever the order of the protected networks', () => {
    const a = renderIsolationRules({ protectedNetworks: ['192.0.2.7/32', '10.0.0.0/24'], egress: 'allow' });
    const b = renderIsolationRules({ protectedNetworks: ['10.0.0.0/24', '192.0.2.7/32'], egress: 'allow' });
    expect(a).toBe(b);
  });

  it('lists each chain as iptables -S prints it, and each hook', () => {
    const text = renderIsolationRules({ protectedNetworks: [], egress: 'allow' });
    expect(renderedChain(text, 'BERTH-ISOLATION-IN')).toEqual([
      '-A BERTH-ISOLATION-IN -i berth-+ -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
      '-A BERTH-ISOLATION-IN -i berth-+ -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(ISOLATION_JUMPS.map(jumpListing)).toEqual(['-A DOCKER-USER -j BERTH-ISOLATION', '-A INPUT -j BERTH-ISOLATION-IN']);
  });
});

describe('canonicalCidr', () => {
  it('writes addresses and networks the way iptables prints them', () => {
    expect(canonicalCidr('10.0.0.7')).toBe('10.0.0.7/32');
    expect(canonicalCidr(' 10.1.2.3/16 ')).toBe('10.1.0.0/16');
    expect(canonicalCidr('0.0.0.0/0')).toBe('0.0.0.0/0');
  });

  it('refuses what is not an IPv4 address or CIDR', () => {
    for (const bad of ['10.0.0', '10.0.0.1/33', 'fd00::1', 'host.example', '10.0.0.1/8/1', '10.0.0.1/']) {
      expect(() => canonicalCidr(bad)).toThrow(/not an IPv4 address or CIDR/);
    }
  });
});

describe('protectedSet', () => {
  it('drops duplicates and networks another entry already covers, in address order', () => {
    expect(protectedSet(['10.0.0.12', '192.0.2.1', '10.0.0.0/24', '10.0.0.12/32', '10.0.1.1'])).toEqual(['10.0.0.0/24', '10.0.1.1/32', '192.0.2.1/32']);
  });
});

describe('renderIsolationRules when the agent publishes ports itself', () => {
  it('lets in what was DNATed into a tenant bridge from outside the tenant bridges, after every refusal of tenant traffic', () => {
    const lines = renderedChain(renderIsolationRules({ protectedNetworks: ['10.0.0.0/24'], egress: 'deny', agentPublishes: true }), 'BERTH-ISOLATION');
    expect(lines.at(-1)).toBe('-A BERTH-ISOLATION ! -i berth-+ -o berth-+ -m conntrack --ctstate DNAT -j ACCEPT');
    expect(lines.filter((l) => l.includes('ACCEPT'))).toHaveLength(1);
    expect(renderIsolationRules({ protectedNetworks: [], egress: 'allow' })).not.toContain('--ctstate DNAT');
  });
});
