// The dashboard's calendars in a real headless Chromium against real controller and agent
// processes: a customer's 7-day strip marks an hour whose capacity is taken as not free (and
// says why), a click on two free hours fills the reserve form, and the reservation is admitted
// with that window; an admin's Timeline shows a Gantt row for the node with a bar for each
// reservation and the full hour shaded as such. Screenshots go to test-artifacts/.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { type Chromium, launchChromium } from '../support/chromium.ts';

const ARTIFACTS = path.resolve('test-artifacts');
const HOUR = 3_600_000;
let controller: ControllerProcess;
let agent: AgentProcess;
let browser: BrowserContext;
let chromiumRun: Chromium;
const node = uniqueName('cal');
// The browser runs in this process's time zone: its strip starts at this local hour.
const hour0 = new Date().setMinutes(0, 0, 0);
const iso = (t: number) => new Date(t).toISOString();
const pad = (n: number) => String(n).padStart(2, '0');
const localInput = (t: number) => {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const clock = (t: number) => `${pad(new Date(t).getHours())}:${pad(new Date(t).getMinutes())}`;
const blockStart = hour0 + 3 * HOUR;
const pickStart = hour0 + 4 * HOUR;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `calendars-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  controller = await startController({ nat: 'userspace' });
  // Two cores whatever this machine has: one reservation of 2 cores fills the node.
  agent = startAgent({ controller: controller.grpcAddress, joinToken: controller.joinToken, nodeName: node, env: { BERTH_CAPACITY_CORES: '2' } });
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

describe('calendars', () => {
  it('shows a customer a taken hour as not free, and reserves the free hours picked on the strip', async () => {
    expect((await controller.api.apply(reservation('block', { cores: 2, start: iso(blockStart), duration: '1h' }))).status).toBe(201);
    const signup = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/signup', {
      username: 'cara',
      email: 'cara@example.com',
      password: 'correct-horse-battery-9',
    });
    expect(signup.status).toBe(201);
    const cara = new ApiClient(controller.url, signup.body.token, controller.ca);

    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.addInitScript((t) => localStorage.setItem('berth.token', t), cara.token);
    await page.goto(`${controller.url}/#/reserve`);
    const cell = (t: number) => page.locator(`#strip button[data-start="${iso(t)}"]`);
    await cell(blockStart).waitFor({ timeout: 15_000 });
    expect(await page.locator('#strip button.slot').count()).toBeGreaterThanOrEqual(168);

    // The node's 2 cores are taken for that hour: not selectable, and the strip says why.
    expect(await cell(blockStart).getAttribute('aria-disabled')).toBe('true');
    expect(await cell(blockStart).getAttribute('title')).toMatch(
      new RegExp(`${clock(blockStart)}–${clock(blockStart + HOUR)}: not free \\(full: no node has 1 core and 64Mi free for the whole hour\\)$`),
    );
    // Around it, two more of the image's default size (1 core) fit.
    for (const t of [blockStart - HOUR, pickStart]) {
      expect(await cell(t).getAttribute('aria-disabled')).toBeNull();
      expect(await cell(t).textContent()).toBe('2');
    }
    // aria-disabled keeps it focusable and clickable (playwright would wait for it to be enabled).
    await cell(blockStart).click({ force: true });
    await expect.poll(() => page.locator('.strip-status').textContent()).toMatch(/not free/);
    expect(await page.locator('#strip button[aria-pressed="true"]').count()).toBe(0);

    await cell(pickStart).click();
    await cell(pickStart + HOUR).click();
    expect(await page.locator('#strip button[aria-pressed="true"]').count()).toBe(2);
    expect(await page.locator('#f-start').inputValue()).toBe(localInput(pickStart));
    expect(await page.locator('#f-duration').inputValue()).toBe('2h');
    await shot(page, 'strip-picked');

    await page.getByLabel(/^Name/).fill('picked');
    await page.getByRole('button', { name: 'Reserve', exact: true }).click();
    await page.waitForURL(/#\/reservations$/);
    const picked = (await cara.get('reservations', 'picked')).body;
    expect(picked.spec).toMatchObject({ start: iso(pickStart), duration: '2h' });
    expect([picked.status.phase, picked.status.startTime, picked.status.endTime]).toEqual(['Scheduled', iso(pickStart), iso(pickStart + 2 * HOUR)]);

    // On a phone the strip scrolls inside its box instead of widening the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${controller.url}/#/reserve`);
    await cell(pickStart).waitFor();
    expect(await cell(pickStart).textContent()).toBe('1'); // the picked reservation holds one of the 2 cores
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'strip-phone');
    await page.close();
  });

  it('shows an admin a Gantt row per node with a bar for each reservation and the full hour shaded', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 700 });
    await page.addInitScript((t) => localStorage.setItem('berth.token', t), controller.api.token);
    await page.goto(`${controller.url}/#/admin/timeline`);
    const row = page.locator(`.gantt-row[data-node="${node}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await page.locator('.gantt-row[data-node]').count()).toBe(1);
    const picked = row.locator('[data-reservation="picked"]');
    const block = row.locator('[data-reservation="block"]');
    await picked.waitFor();
    expect(await picked.textContent()).toBe('picked (cara)');
    expect(await picked.getAttribute('title')).toMatch(
      new RegExp(`^picked of cara: web, 1 core, 64Mi\\n.* ${clock(pickStart)} – .* ${clock(pickStart + 2 * HOUR)} \\(Scheduled\\)$`),
    );
    expect(await block.getAttribute('data-owner')).toBe('admin');
    // Placed in time: picked (4 h from now) starts one hour of the 7-day track after block (3 h).
    const [b, p, track] = [await block.boundingBox(), await picked.boundingBox(), await row.locator('.gantt-track').boundingBox()];
    expect(b && p && track && Math.abs(p.x - b.x - track.width / (7 * 24))).toBeLessThan(1);
    // Nothing is free on the node while block runs: that span is shaded as full, with its numbers.
    const full = row.locator('.gantt-free.none');
    expect(await full.count()).toBe(1);
    expect(await full.getAttribute('title')).toMatch(/^free 0 of 2 cores, \d+Mi of \d+Mi\n/);
    await shot(page, 'timeline');
    // Over the one day that holds picked's start, an hour is wide enough to read its bar.
    const midnight = new Date(hour0).setHours(24, 0, 0, 0);
    if (pickStart >= midnight) await page.locator('#gantt-from').fill(localInput(midnight).slice(0, 10));
    await page.locator('#gantt-range').selectOption('1');
    await expect.poll(async () => (await row.locator('[data-reservation="picked"]').boundingBox())?.width ?? 0).toBeGreaterThan(25);
    await shot(page, 'timeline-day');
    await page.close();
  });

  it('refuses the Timeline data to a customer', async () => {
    const login = await new ApiClient(controller.url, '', controller.ca).request('POST', '/api/v1/auth/login', {
      username: 'cara',
      password: 'correct-horse-battery-9',
    });
    const res = await new ApiClient(controller.url, login.body.token, controller.ca).request('GET', '/api/v1/availability/nodes');
    expect(res.status).toBe(403);
  });
});
