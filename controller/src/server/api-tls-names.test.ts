import { describe, expect, it } from 'vitest';
import { serverCertificateNames } from './api-tls-names.ts';

const base = { publicAddress: '203.0.113.10', extraNames: [], hostname: 'mgmt-1', interfaceAddresses: ['127.0.0.1', '10.0.0.1', 'fe80::1%eth0'] };

describe('serverCertificateNames', () => {
  it('covers loopback, the host name, the public address and, bound to all interfaces, every interface address', () => {
    expect(serverCertificateNames({ ...base, host: '0.0.0.0' })).toEqual({
      dnsNames: ['localhost', 'mgmt-1'],
      ipAddresses: ['127.0.0.1', '203.0.113.10', '10.0.0.1', 'fe80::1'],
    });
  });

  it('names only the bound address when bound to one, plus the extra names', () => {
    expect(serverCertificateNames({ ...base, host: '10.0.0.1', extraNames: ['Berth.Example.com', '198.51.100.7'] })).toEqual({
      dnsNames: ['localhost', 'mgmt-1', 'berth.example.com'],
      ipAddresses: ['127.0.0.1', '203.0.113.10', '198.51.100.7', '10.0.0.1'],
    });
  });

  it('leaves out a host name that cannot be a DNS name', () => {
    expect(serverCertificateNames({ ...base, host: '127.0.0.1', hostname: 'my_box' }).dnsNames).toEqual(['localhost']);
  });
});
