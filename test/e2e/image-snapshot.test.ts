// An Image edit reaches new reservations only: a running reservation keeps the image it was
// admitted with (ref, env, limits), through real processes (controller, agent, Docker). Before,
// the desired container joined the live Image row, so an admin's edit recreated every running
// container of that image, which its customer could not have changed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { reservation, TEST_IMAGE_REF, webImage } from '../support/fixtures.ts';
import { containersOfNode, httpGetRaw } from '../support/host.ts';
import { uniqueName } from '../support/processes.ts';
import { isReady, startSingleHost, waitForNodeReady, type SingleHost } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
let host: SingleHost;
// A second tag of the test image, so the edit changes the ref without a registry.
const EDITED_REF = `berth-test/httpd:${uniqueName('snap')}`;

/** A quarter core each, so that three fit on a two-core machine. */
async function reserve(name: string) {
  const { status, body } = await host.controller.api.apply(reservation(name, { cores: '250m' }));
  expect(status, JSON.stringify(body)).toBeLessThan(300);
}

async function runningAndReady(name: string) {
  return waitFor(
    async () => {
      const { body } = await host.controller.api.get('reservations', name);
      return body?.status?.phase === 'Running' && isReady(body) ? body : undefined;
    },
    { timeoutMs: 30_000, what: `${name} Running and Ready` },
  );
}

/** The container of a reservation as the engine has it: id, image ref and env. */
async function containerOf(uid: string): Promise<{ id: string; image: string; env: string[] }> {
  const found = (await containersOfNode(host.node)).filter((c) => c.reservation === uid);
  expect(found).toHaveLength(1);
  const { stdout } = await run('docker', ['inspect', '--format', '{{json .Config}}', found[0].id]);
  const config = JSON.parse(stdout) as { Image: string; Env: string[] };
  return { id: found[0].id, image: config.Image, env: config.Env };
}

beforeAll(async () => {
  await run('docker', ['tag', TEST_IMAGE_REF, EDITED_REF]);
  host = await startSingleHost('snap');
  await host.controller.api.apply(webImage('web', { env: { MODE: 'admitted' } }));
  await reserve('before');
});

afterAll(async () => {
  await host?.stop();
  await run('docker', ['rmi', EDITED_REF]).catch(() => undefined);
});

describe('image edits and running reservations', () => {
  it('keeps the running container (same id, old ref and env) through an Image edit and resyncs, while a reservation made after the edit gets the edited image', async () => {
    const before = await runningAndReady('before');
    const original = await containerOf(before.metadata.uid);
    expect(original).toMatchObject({ image: TEST_IMAGE_REF, env: expect.arrayContaining(['MODE=admitted']) });

    const edit = await host.controller.api.apply(webImage('web', { ref: EDITED_REF, env: { MODE: 'edited' } }));
    expect(edit.status).toBeLessThan(300);

    // A new reservation on the same node makes the controller send the node its whole desired set
    // again, 'before' included; it runs once the agent has converged that set.
    await reserve('after');
    const after = await runningAndReady('after');
    expect(await containerOf(after.metadata.uid)).toMatchObject({ image: EDITED_REF, env: expect.arrayContaining(['MODE=edited']) });
    expect(await containerOf(before.metadata.uid)).toEqual(original);

    // A restarted agent is sent the set afresh and compares every container with it.
    await host.agent.stop();
    host.restartAgent();
    await waitForNodeReady(host.controller, host.node, host.agent);
    await reserve('later');
    await runningAndReady('later');
    expect(await containerOf(before.metadata.uid)).toEqual(original);
    expect(await httpGetRaw((await runningAndReady('before')).status.endpoints[0].address)).toContain('berth ok');
  });

  it('describes the reservation with the image it runs and says later edits do not apply, and the image with how many run an older generation', async () => {
    const { body } = await host.controller.api.get('reservations', 'before');
    expect(body.status.image).toMatchObject({ name: 'web', generation: 1, spec: { ref: TEST_IMAGE_REF, env: { MODE: 'admitted' } } });
    const text = await runCli(['describe', 'reservation', 'before'], { env: host.controller.cliEnv(host.controller.api.token) });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `Image:\n  ${TEST_IMAGE_REF} (image web generation 1, as admitted; later edits of the image apply only to new reservations)\n`,
    );

    const image = await host.controller.api.get('images', 'web');
    expect(image.body.status).toEqual({ observedGeneration: 2, reservations: { live: 3, olderGeneration: 1 } });
  });
});
