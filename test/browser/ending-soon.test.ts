// The dashboard's ending-soon banner in a real headless Chromium against real controller and
// agent processes: a running reservation within 15 minutes of its end gets a banner with a
// "+30m" button; clicking it extends the reservation (the extend route) and the banner goes.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { waitFor } from '../support/wait.ts';
import { type Chromium, launchChromium } from '../support/chromium.ts';

const ARTIFACTS = path.resolve('test-artifacts');
let controller: ControllerProcess;
let agent: AgentProcess;
let browser: BrowserContext;
let chromiumRun: Chromium;
const node = uniqueName('ends');

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  controller = await startController({ nat: 'userspace' });
  agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node });
  await waitForNodeReady(controller, node, agent);
  expect((await controller.api.apply(webImage())).status).toBe(201);
  chromiumRun = await launchChromium(controller.url);
  browser = chromiumRun.browser;
});

afterAll(async () => {
  await chromiumRun?.close();
  await agent?.stop();
  await controller?.stop();
  await removeNodeContainers(node);
  if (controller) await removeDir(controller.dataDir);
});

describe('ending-soon banner', () => {
  it('shows a running reservation ending within 15 minutes with a +30m button that extends it, and only that one', async () => {
    const signup = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
      username: 'erin',
      email: 'erin@example.com',
      password: 'correct-horse-battery-9',
    });
    expect(signup.status).toBe(201);
    const erin = new ApiClient(controller.url, signup.body.token, controller.ca);
    expect((await erin.apply(reservation('soon', { duration: '10m', cores: 0.25 }))).status).toBe(201);
    expect((await erin.apply(reservation('later', { duration: '2h', cores: 0.25 }))).status).toBe(201);
    for (const name of ['soon', 'later']) {
      await waitFor(async () => (await erin.get('reservations', name)).body?.status?.phase === 'Running', { timeoutMs: 30_000, what: `${name} Running` });
    }
    const endBefore = Date.parse((await erin.get('reservations', 'soon')).body.status.endTime);

    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.addInitScript((t) => localStorage.setItem('berth.token', t), erin.token);
    await page.goto(`${controller.url}/#/reservations`);
    const banner = page.locator('#ending-soon .ending-soon');
    await banner.first().waitFor({ timeout: 15_000 });
    expect(await banner.count()).toBe(1);
    expect(await banner.getAttribute('data-reservation')).toBe('soon');
    expect(await banner.textContent()).toMatch(/Reservation soon ends in \d+ min \d+ s\./);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-ending-soon.png'), fullPage: true });

    await page.getByRole('button', { name: 'extend soon by 30 minutes now' }).click();
    await waitFor(async () => Date.parse((await erin.get('reservations', 'soon')).body.status.endTime) === endBefore + 30 * 60_000, {
      timeoutMs: 10_000,
      what: 'soon extended by 30 minutes',
    });
    await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });
});
