import { describe, expect, it } from 'vitest';
import type { ImageSpecInput } from '../manifests/index.ts';
import { desiredContainers, type ActiveReservation } from './desired-containers.ts';

const image = (extra: Partial<ImageSpecInput> = {}): ImageSpecInput => ({
  ref: 'reg:5000/web:1',
  ports: [],
  resources: { cores: 1, memory: '64Mi' },
  ...extra,
});
const reservation = (id: string, ownerId: string, admitted: ImageSpecInput | null = image(), extra: Partial<ActiveReservation> = {}): ActiveReservation => ({
  id,
  ownerId,
  name: id,
  generation: 1,
  milliCores: 1000,
  memoryMiB: 64,
  startAt: new Date(0),
  spec: { image: 'web', duration: '1h', profile: 'ephemeral' },
  ports: [],
  image: admitted,
  ...extra,
});

describe('desiredContainers', () => {
  it('names the reservation owner as the tenant, so the node keeps customers on separate networks', () => {
    const specs = desiredContainers([reservation('r1', 'alice'), reservation('r2', 'bob')], '10.0.0.11');
    expect(specs.map((s) => [s.reservationId, s.tenant])).toEqual([
      ['r1', 'alice'],
      ['r2', 'bob'],
    ]);
  });

  it('sends the image PIDs and ephemeral-storage limits, or the defaults (512 processes, 1Gi)', () => {
    const [plain, limited] = desiredContainers(
      [reservation('r1', 'alice'), reservation('r2', 'alice', image({ pidsLimit: 64, ephemeralStorage: '16Mi' }))],
      '10.0.0.11',
    );
    expect(plain).toMatchObject({ pidsLimit: 512, ephemeralStorageBytes: 1024 * 1048576 });
    expect(limited).toMatchObject({ pidsLimit: 64, ephemeralStorageBytes: 16 * 1048576 });
  });

  it('builds each container from the image its reservation was admitted with, so two generations of one image run side by side', () => {
    const before = image({ ref: 'reg:5000/web:1', env: { MODE: 'old', KEEP: 'image' }, dataPath: '/data', pidsLimit: 100, ephemeralStorage: '64Mi' });
    const after = image({ ref: 'reg:5000/web:2', env: { MODE: 'new' }, dataPath: '/srv', pidsLimit: 200, ephemeralStorage: '128Mi' });
    const early = reservation('r1', 'alice', before, { spec: { image: 'web', duration: '1h', profile: 'local', env: { KEEP: 'mine' } } });
    const [old, fresh] = desiredContainers([early, reservation('r2', 'bob', after)], '10.0.0.11');
    expect(old).toMatchObject({
      image: 'reg:5000/web:1',
      env: { MODE: 'old', KEEP: 'mine' },
      dataPath: '/data',
      pidsLimit: 100,
      ephemeralStorageBytes: 64 * 1048576,
    });
    expect(fresh).toMatchObject({ image: 'reg:5000/web:2', env: { MODE: 'new' }, dataPath: '/srv', pidsLimit: 200, ephemeralStorageBytes: 128 * 1048576 });
  });

  it('sends nothing for a reservation without an admitted image (an old row whose image was deleted)', () => {
    expect(desiredContainers([reservation('r1', 'alice', null)], '10.0.0.11')).toEqual([]);
  });
});
