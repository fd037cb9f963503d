import { describe, expect, it } from 'vitest';
import { renderNode } from '../resources/index.ts';
import { nodeViewFor } from './nodes.ts';

const row = {
  id: 'n-1',
  name: 'cn1',
  address: '10.77.0.11',
  cores: 8,
  memoryMiB: 16384,
  cordoned: true,
  labels: { rack: 'r7' },
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
  lastHeartbeat: new Date('2026-01-02T00:00:00Z'),
  metrics: { load1: 3.5, memoryFreeBytes: 1e9 },
  status: {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'HeartbeatsArriving', message: 'agent at 10.77.0.11:40112', lastTransitionTime: '2026-01-01T00:00:01Z' },
    ],
  },
} as unknown as Parameters<typeof renderNode>[0];
const full = renderNode(row, { milliCores: 6000, memoryMiB: 12288, reservations: 3 });

describe('nodeViewFor', () => {
  it('shows an admin the whole node', () => {
    expect(nodeViewFor({ role: 'admin' }, full)).toBe(full);
  });

  it("shows a customer name, readiness, cordon and size, and nothing of the address, load or tenants' usage", () => {
    const view = nodeViewFor({ role: 'customer' }, full);
    expect(view).toEqual({
      apiVersion: 'berth/v1',
      kind: 'Node',
      metadata: { name: 'cn1', uid: 'n-1', creationTimestamp: '2026-01-01T00:00:00.000Z' },
      spec: { cores: 8, memory: '16Gi', unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'HeartbeatsArriving', lastTransitionTime: '2026-01-01T00:00:01Z' }],
        capacity: { cores: 8, memory: '16Gi' },
      },
    });
    expect(JSON.stringify(view)).not.toContain('10.77.0.11');
  });
});
