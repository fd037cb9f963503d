import { describe, expect, it } from 'vitest';
import type { ObservedContainer } from '../runtime/index.ts';
import { forwardsOf } from './sandbox-ports.ts';

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
