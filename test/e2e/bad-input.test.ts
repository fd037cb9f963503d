// Every kind of bad input against a real controller process: each is refused with a 4xx, the
// catalog's code and the offending field, and leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from '../support/api-client.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { startSingleHost, type SingleHost } from '../support/single-host.ts';

let host: SingleHost;
let controller: SingleHost['controller'];

beforeAll(async () => {
  host = await startSingleHost('bad');
  controller = host.controller;
  expect((await controller.api.apply(webImage())).status).toBe(201);
});

afterAll(async () => {
  await host?.stop();
});

type Plural = 'reservations' | 'images';

/** What identifies the stored objects; status moves on its own, so it is left out. */
async function stored(plural: Plural) {
  const { status, body } = await controller.api.list(plural);
  expect(status).toBe(200);
  return body.items.map(
    (o: { metadata: { name: string; uid: string; generation: number } }) => `${o.metadata.name}/${o.metadata.uid}/${o.metadata.generation}`,
  );
}

interface Refusal {
  status: number;
  code: string;
  /** The field the error must name in `field` and in its message. */
  field?: string;
  /** For errors without a field: what the message must say. */
  message?: RegExp;
}

/** Sends `send`, expects the refusal, and that nothing of `plural` was stored (and `name` is unknown). */
async function expectRefusedAndNothingStored(send: () => Promise<ApiResponse>, want: Refusal, name: string, plural: Plural = 'reservations') {
  const before = await stored(plural);
  const res = await send();
  expect(res.status).toBe(want.status);
  expect(res.body?.error?.code).toBe(want.code);
  expect(typeof res.body.error.message).toBe('string');
  if (want.field !== undefined) {
    expect(res.body.error.field).toBe(want.field);
    expect(res.body.error.message).toContain(want.field);
  }
  if (want.message) expect(res.body.error.message).toMatch(want.message);
  expect(await stored(plural)).toEqual(before);
  expect((await controller.api.get(plural, name)).status).toBe(404);
  return res.body.error as { code: string; message: string; field?: string };
}

const apply = (manifest: unknown) => () => controller.api.apply(manifest);
const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('malformed bodies', () => {
  it('refuses malformed YAML with 400 Invalid saying the YAML is malformed', async () => {
    const body = 'apiVersion: berth/v1\nkind: Reservation\nmetadata: { name: broken-yaml\nspec: [image: web\n';
    await expectRefusedAndNothingStored(
      () => controller.api.request('POST', '/api/v1/apply', body, { 'content-type': 'application/yaml' }),
      { status: 400, code: 'Invalid', message: /malformed YAML/ },
      'broken-yaml',
    );
  });

  it('refuses malformed JSON with 400 Invalid saying the body is malformed', async () => {
    const body = '{"apiVersion": "berth/v1", "kind": "Reservation", "metadata": {"name": "broken-json"}, "spec": {';
    await expectRefusedAndNothingStored(
      () => controller.api.request('POST', '/api/v1/apply', body),
      { status: 400, code: 'Invalid', message: /^malformed request body: .*JSON/ },
      'broken-json',
    );
  });

  it('refuses a body over 1 MiB with 413 PayloadTooLarge', async () => {
    const big = reservation('too-large', { env: { PAD: 'x'.repeat(1024 * 1024 + 1) } });
    await expectRefusedAndNothingStored(apply(big), { status: 413, code: 'PayloadTooLarge', message: /too large/ }, 'too-large');
  });
});

describe('manifest shape', () => {
  it('refuses an unknown kind with 400 Invalid naming kind', async () => {
    const error = await expectRefusedAndNothingStored(
      apply({ ...reservation('pod-kind'), kind: 'Pod' }),
      { status: 400, code: 'Invalid', field: 'kind' },
      'pod-kind',
    );
    expect(error.message).toContain('Reservation');
  });

  it('refuses an unknown top-level field with 400 Invalid naming it', async () => {
    await expectRefusedAndNothingStored(apply({ ...reservation('extra-top'), replicas: 3 }), { status: 400, code: 'Invalid', field: 'replicas' }, 'extra-top');
  });

  it('refuses an unknown spec field with 400 Invalid naming spec.<field>', async () => {
    await expectRefusedAndNothingStored(
      apply(reservation('extra-spec', { replicas: 3 })),
      { status: 400, code: 'Invalid', field: 'spec.replicas' },
      'extra-spec',
    );
  });

  it('refuses a reservation of an image that does not exist with 400 Invalid naming spec.image', async () => {
    const error = await expectRefusedAndNothingStored(
      apply(reservation('no-image', { image: 'no-such-image' })),
      { status: 400, code: 'Invalid', field: 'spec.image' },
      'no-image',
    );
    expect(error.message).toContain('no-such-image');
  });

  const badNames: Array<[string, string]> = [
    ['an uppercase name', 'Demo'],
    ['a name with an underscore', 'demo_one'],
    ['a name longer than 63 characters', 'a'.repeat(64)],
    ['a name with a leading dash', '-demo'],
  ];
  for (const [what, name] of badNames) {
    it(`refuses ${what} with 400 Invalid naming metadata.name`, async () => {
      await expectRefusedAndNothingStored(apply(reservation(name)), { status: 400, code: 'Invalid', field: 'metadata.name' }, encodeURIComponent(name));
    });
  }
});

describe('storage profile', () => {
  it('refuses a local profile for an image without a data path with 400 Invalid naming spec.profile', async () => {
    const error = await expectRefusedAndNothingStored(
      apply(reservation('no-data-path', { profile: 'local' })),
      { status: 400, code: 'Invalid', field: 'spec.profile' },
      'no-data-path',
    );
    expect(error.message).toContain('dataPath');
  });

  it('refuses a remote profile when the controller has no storage node with 400 Invalid naming spec.profile', async () => {
    expect((await controller.api.apply(webImage('with-data', { dataPath: '/data' }))).status).toBe(201);
    const error = await expectRefusedAndNothingStored(
      apply(reservation('no-storage-node', { image: 'with-data', profile: 'remote' })),
      { status: 400, code: 'Invalid', field: 'spec.profile' },
      'no-storage-node',
    );
    expect(error.message).toContain('storage node');
  });
});

describe('window', () => {
  it('refuses a start beyond the tolerance in the past with 400 Invalid naming spec.start', async () => {
    const error = await expectRefusedAndNothingStored(
      apply(reservation('past', { start: isoAgo(10 * 60_000) })),
      { status: 400, code: 'Invalid', field: 'spec.start' },
      'past',
    );
    expect(error.message).toContain('past');
  });

  it('accepts a start 10 s in the past (within the tolerance)', async () => {
    const res = await controller.api.apply(reservation('just-past', { start: isoAgo(10_000) }));
    try {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ action: 'created', object: { metadata: { name: 'just-past' }, status: { phase: 'Scheduled', node: host.node } } });
    } finally {
      await controller.api.delete('reservations', 'just-past');
    }
  });

  for (const duration of ['0s', '0h']) {
    it(`refuses a zero duration ("${duration}") with 400 Invalid naming spec.duration`, async () => {
      await expectRefusedAndNothingStored(
        apply(reservation(`zero-${duration}`, { duration })),
        { status: 400, code: 'Invalid', field: 'spec.duration' },
        `zero-${duration}`,
      );
    });
  }

  it('refuses a negative duration ("-1h") with 400 Invalid naming spec.duration', async () => {
    await expectRefusedAndNothingStored(
      apply(reservation('negative', { duration: '-1h' })),
      { status: 400, code: 'Invalid', field: 'spec.duration' },
      'negative',
    );
  });

  it('refuses a duration over the 30-day maximum ("31d") with 400 Invalid naming spec.duration and the limit', async () => {
    const error = await expectRefusedAndNothingStored(
      apply(reservation('too-long', { duration: '31d' })),
      { status: 400, code: 'Invalid', field: 'spec.duration' },
      'too-long',
    );
    expect(error.message).toContain('30d');
  });
});

describe('resources', () => {
  it('refuses cores above the image maximum with 400 Invalid naming spec.cores and the maximum', async () => {
    const error = await expectRefusedAndNothingStored(
      apply(reservation('many-cores', { cores: 3 })),
      { status: 400, code: 'Invalid', field: 'spec.cores' },
      'many-cores',
    );
    expect(error.message).toContain('maximum of 2');
  });

  it('refuses memory above the image maximum with 400 Invalid naming spec.memory and the maximum', async () => {
    const error = await expectRefusedAndNothingStored(
      apply(reservation('much-memory', { memory: '512Mi' })),
      { status: 400, code: 'Invalid', field: 'spec.memory' },
      'much-memory',
    );
    expect(error.message).toContain('256Mi');
  });

  it('refuses an Image whose maxCores is below its cores with 400 Invalid naming spec.resources.maxCores', async () => {
    const image = webImage('inverted', { resources: { cores: 2, memory: '64Mi', maxCores: 1 } });
    await expectRefusedAndNothingStored(apply(image), { status: 400, code: 'Invalid', field: 'spec.resources.maxCores' }, 'inverted', 'images');
  });
});

describe('cores that cannot be honoured exactly', () => {
  const badCores: Array<[string, unknown, RegExp]> = [
    ['zero', 0, /greater than 0/],
    ['a negative amount', -1, /greater than 0/],
    ['a fraction finer than a millicore (0.0001)', 0.0001, /whole number of millicores/],
    ['four decimals (1.2345)', 1.2345, /whole number of millicores/],
    ['a word ("abc")', 'abc', /number of cores such as 2 or 0\.5/],
    ['a fraction of a millicore ("1.5m")', '1.5m', /whole number of millicores/],
  ];
  for (const [what, cores, why] of badCores) {
    it(`refuses ${what} as cores with 400 Invalid naming spec.cores`, async () => {
      const name = `cores-${badCores.findIndex((b) => b[1] === cores)}`;
      const error = await expectRefusedAndNothingStored(apply(reservation(name, { cores })), { status: 400, code: 'Invalid', field: 'spec.cores' }, name);
      expect(error.message).toMatch(why);
    });
  }

  it('refuses an Image whose cores or maxCores is finer than a millicore, naming spec.resources.*', async () => {
    await expectRefusedAndNothingStored(
      apply(webImage('milli-img', { resources: { cores: '1.5m', memory: '64Mi' } })),
      { status: 400, code: 'Invalid', field: 'spec.resources.cores' },
      'milli-img',
      'images',
    );
    await expectRefusedAndNothingStored(
      apply(webImage('milli-max', { resources: { cores: 1, memory: '64Mi', maxCores: 0.0001 } })),
      { status: 400, code: 'Invalid', field: 'spec.resources.maxCores' },
      'milli-max',
      'images',
    );
  });
});

describe('manifest limits', () => {
  it('refuses more than 64 env variables with 400 Invalid naming spec.env and the limit', async () => {
    const env = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x']));
    const error = await expectRefusedAndNothingStored(apply(reservation('many-env', { env })), { status: 400, code: 'Invalid', field: 'spec.env' }, 'many-env');
    expect(error.message).toContain('at most 64 variables');
  });

  it('refuses env names and values over 32 KiB in total with 400 Invalid naming spec.env and the limit', async () => {
    const env = { A: 'x'.repeat(20_000), B: 'y'.repeat(20_000) };
    const error = await expectRefusedAndNothingStored(apply(reservation('big-env', { env })), { status: 400, code: 'Invalid', field: 'spec.env' }, 'big-env');
    expect(error.message).toContain('at most 32768 bytes (32 KiB)');
    const image = webImage('big-env-img', { env: { PAD: 'z'.repeat(33_000) } });
    await expectRefusedAndNothingStored(apply(image), { status: 400, code: 'Invalid', field: 'spec.env' }, 'big-env-img', 'images');
  });

  it('refuses an env name over 128 characters with 400 Invalid naming it', async () => {
    const long = `N${'a'.repeat(128)}`;
    const error = await expectRefusedAndNothingStored(
      apply(reservation('long-env-name', { env: { [long]: 'x' } })),
      { status: 400, code: 'Invalid', field: `spec.env.${long}` },
      'long-env-name',
    );
    expect(error.message).toContain('at most 128 characters');
  });

  it('refuses more than 64 labels with 400 Invalid naming metadata.labels', async () => {
    const labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v']));
    const manifest = { ...reservation('many-labels'), metadata: { name: 'many-labels', labels } };
    const error = await expectRefusedAndNothingStored(apply(manifest), { status: 400, code: 'Invalid', field: 'metadata.labels' }, 'many-labels');
    expect(error.message).toContain('at most 64 labels');
  });
});

describe('authentication', () => {
  it('refuses an apply without a token with 401 Unauthenticated', async () => {
    const send = async () => {
      const res = await controller.fetch(`${controller.url}/api/v1/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(reservation('no-token')),
      });
      return { status: res.status, body: await res.json() };
    };
    await expectRefusedAndNothingStored(send, { status: 401, code: 'Unauthenticated', message: /token/ }, 'no-token');
  });

  it('refuses an apply with an unknown token with 401 Unauthenticated', async () => {
    const stranger = new ApiClient(controller.url, 'berth_not-a-token-this-controller-issued', controller.ca);
    await expectRefusedAndNothingStored(
      () => stranger.apply(reservation('bad-token')),
      { status: 401, code: 'Unauthenticated', message: /invalid or expired token/ },
      'bad-token',
    );
  });
});
