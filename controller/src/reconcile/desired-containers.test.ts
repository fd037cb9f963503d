import { describe, expect, it } from 'vitest';
import type { ImageSpecInput } from '../manifests/index.ts';
import { desiredContainers, type ActiveReservation } from './desired-containers.ts';

const image = (extra: Partial<ImageSpecInput> = {}): ImageSpecInput => ({ ref: 'reg:5000/web:1', ports: [], resources: { cores: 1, memory: '64Mi' }, ...extra });
const reservation = (id: string, ownerId: string, imageName = 'web'): ActiveReservation => ({
  id, ownerId, name: id, generation: 1, milliCores: 1000, memoryMiB: 64, startAt: new Date(0), spec: { image: imageName, duration: '1h', profile: 'ephemeral' }, ports: [],
});

describe('desiredContainers', () => {
  it('names the reservation owner as the tenant, so the node keeps customers on separate networks', () => {
    const specs = desiredContainers([reservation('r1', 'alice'), reservation('r2', 'bob')], new Map([['web', image()]]), '10.0.0.11');
    expect(specs.map((s) => [s.reservationId, s.tenant])).toEqual([['r1', 'alice'], ['r2', 'bob']]);
  });

  it('sends the image PIDs and ephemeral-storage limits, or the defaults (512 processes, 1Gi)', () => {
    const images = new Map([['web', image()], ['db', image({ pidsLimit: 64, ephemeralStorage: '16Mi' })]]);
    const [plain, limited] = desiredContainers([reservation('r1', 'alice'), reservation('r2', 'alice', 'db')], images, '10.0.0.11');
    expect(plain).toMatchObject({ pidsLimit: 512, ephemeralStorageBytes: 1024 * 1048576 });
    expect(limited).toMatchObject({ pidsLimit: 64, ephemeralStorageBytes: 16 * 1048576 });
  });
});
