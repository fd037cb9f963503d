import { describe, expect, it } from 'vitest';
import type { ObservedContainer, PodSandboxes } from '../runtime/index.ts';
import type { PortForwarder } from './port-forwarder.ts';
import type { PortForward } from './port-forwards.ts';
import { forwardsOf, SandboxPorts } from './sandbox-ports.ts';

const container = (reservationId: string, sandboxId: string | undefined, ports: ObservedContainer['ports']): ObservedContainer => ({
  id: `c-${reservationId}`,
  name: reservationId,
  image: 'img',
  reservationId,
  generation: 1,
  specHash: 'h',
  state: 'running',
  health: 'none',
  restartCount: 0,
  startedAtMs: 0,
  ports,
  sandboxId,
  message: '',
  tenant: 't',
  ephemeralStorageLimitBytes: 0,
});

describe('forwardsOf', () => {
  it("forwards each port of a sandboxed container to its sandbox's address", () => {
    const observed = [
      container('r1', 's1', [
        { name: 'http', containerPort: 80, hostPort: 20001, hostIp: '10.0.0.5' },
        { name: 'admin', containerPort: 8080, hostPort: 20002, hostIp: '10.0.0.5' },
      ]),
    ];
    expect(forwardsOf(observed, (id) => (id === 's1' ? '172.18.0.3' : undefined))).toEqual([
      { hostIp: '10.0.0.5', hostPort: 20001, targetIp: '172.18.0.3', targetPort: 80, reservationId: 'r1' },
      { hostIp: '10.0.0.5', hostPort: 20002, targetIp: '172.18.0.3', targetPort: 8080, reservationId: 'r1' },
    ]);
  });

  it('leaves out containers the engine publishes for and sandboxes of unknown address', () => {
    const port = [{ name: 'http', containerPort: 80, hostPort: 20001, hostIp: '10.0.0.5' }];
    expect(forwardsOf([container('r1', undefined, port), container('r2', 'lost', port)], () => undefined)).toEqual([]);
  });
});

describe('SandboxPorts.publish', () => {
  const fakes = () => {
    const ips = new Map([['s1', '172.18.0.3']]);
    let listings = 0;
    const synced: PortForward[][] = [];
    const sandboxes = {
      ipOf: (id: string) => ips.get(id),
      list: async () => {
        listings++;
        ips.set('s1', '172.18.0.9');
        return [];
      },
    } as unknown as PodSandboxes;
    const forwarder = {
      sync: async (f: PortForward[]) => void synced.push(f),
      verify: async () => undefined,
      close: async () => undefined,
    } as unknown as PortForwarder;
    return { ports: new SandboxPorts({ sandboxes, forwarder }), synced, listings: () => listings };
  };
  const port = [{ name: 'http', containerPort: 80, hostPort: 20001, hostIp: '10.0.0.5' }];

  it('publishes from the known address without asking the engine, and asks again once a container was started anew', async () => {
    const { ports, synced, listings } = fakes();
    const first = { ...container('r1', 's1', port), startedAtMs: 1000 };
    await ports.publish([first]);
    await ports.publish([first]);
    expect(listings()).toBe(0);
    expect(synced.at(-1)?.[0]?.targetIp).toBe('172.18.0.3');
    // After an engine restart the sandbox may have a new address.
    await ports.publish([{ ...first, startedAtMs: 2000 }]);
    expect(listings()).toBe(1);
    expect(synced.at(-1)?.[0]?.targetIp).toBe('172.18.0.9');
    await ports.stop();
  });
});
