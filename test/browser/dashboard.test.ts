// The dashboard in a real headless Chromium against real controller and agent processes:
// a customer signs up, reserves (half a core), sees it Running with its endpoint, and deletes it; an admin sees
// the nodes, a chart with data, and cordons a node. Screenshots go to test-artifacts/.
// The dashboard is served over HTTPS: Chromium trusts exactly the controller's certificate, by the
// hash of its public key (--ignore-certificate-errors-spki-list), not by ignoring certificate errors.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startAgent, startController, uniqueName, type AgentProcess, type ControllerProcess } from '../support/processes.ts';
import { removeNodeContainers } from '../support/host.ts';
import { reservation, webImage } from '../support/fixtures.ts';
import { waitForNodeReady } from '../support/single-host.ts';
import { type Chromium, launchChromium } from '../support/chromium.ts';

const ARTIFACTS = path.resolve('test-artifacts');
let controller: ControllerProcess;
let agent: AgentProcess;
let browser: BrowserContext;
let chromiumRun: Chromium;
const node = uniqueName('ui');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  controller = await startController({ nat: 'userspace', env: { BERTH_METRICS_SAMPLE_MS: '500' } });
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

interface Box {
  what: string;
  x: number;
  y: number;
  w: number;
  h: number;
}
const overlap = (a: Box, b: Box) => a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;

/** What is wrong with the Reserve form's layout: fields that overlap, controls wider than their field, anything past the viewport. */
async function formLayoutProblems(page: Page, viewportWidth: number): Promise<string[]> {
  const fields = await page.locator('form .grid2 > label').evaluateAll((labels) =>
    labels.map((label) => {
      const box = (e: Element, what: string) => {
        const r = e.getBoundingClientRect();
        return { what, x: r.x, y: r.y, w: r.width, h: r.height };
      };
      const name = label.getAttribute('for') ?? '?';
      return {
        field: box(label, name),
        parts: [...label.querySelectorAll('input, select, .hint, .err')].map((e) =>
          box(e, `${name} ${e.tagName.toLowerCase()}${e.className ? `.${e.className}` : ''}`),
        ),
      };
    }),
  );
  const problems: string[] = [];
  if (fields.length < 7) problems.push(`only ${fields.length} fields found`);
  for (const [i, a] of fields.entries()) {
    for (const b of fields.slice(i + 1)) if (overlap(a.field, b.field)) problems.push(`${a.field.what} overlaps ${b.field.what}`);
    for (const part of a.parts) {
      if (part.x < a.field.x - 0.5 || part.x + part.w > a.field.x + a.field.w + 0.5) problems.push(`${part.what} is wider than its field`);
      if (part.x < 0 || part.x + part.w > viewportWidth) problems.push(`${part.what} goes past the viewport`);
      for (const other of fields.filter((f) => f !== a)) for (const o of other.parts) if (overlap(part, o)) problems.push(`${part.what} overlaps ${o.what}`);
    }
  }
  return [...new Set(problems)];
}

describe('the Reserve form', () => {
  const LONG_REF = '10.0.0.1:5000/jenkins/jenkins:lts-jdk17';
  beforeAll(async () => {
    expect((await controller.api.apply(webImage('zz-jenkins', { ref: LONG_REF }))).status).toBe(201);
  });
  afterAll(async () => {
    await controller.api.delete('images', 'zz-jenkins');
  });

  it.each([1280, 390])('lays the Reserve form out at %i px without overlapping fields, and has a favicon', async (width) => {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.addInitScript((t) => localStorage.setItem('berth.token', t), controller.api.token);
    await page.goto(`${controller.url}/#/reserve`);
    await page.locator('#f-memory').waitFor();
    // A long option text (an image's reference) is what used to push the select over its neighbour.
    await page.locator('#f-image option', { hasText: LONG_REF }).waitFor({ state: 'attached' });
    expect(await formLayoutProblems(page, width)).toEqual([]);
    await shot(page, `reserve-form-${width}`);
    const icon = await page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href;
      const res = await fetch('/favicon.ico');
      return { href, status: res.status, type: res.headers.get('content-type') };
    });
    expect(icon).toEqual({ href: `${controller.url}/ui/favicon.svg`, status: 200, type: 'image/svg+xml' });
    expect(failed).toEqual([]);
    // The next test signs up in this browser profile: no admin may be logged in there.
    await page.evaluate(() => localStorage.removeItem('berth.token'));
    await page.close();
  });
});

describe('dashboard', () => {
  it('lets a customer sign up, reserve, see it Running with its endpoint, and delete it', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 }); // a phone
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${controller.url}/#/signup`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByLabel('Password').fill('correct-horse-battery-9');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/#\/reservations$/);
    expect(page.url()).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//); // signed up over HTTPS

    await page.getByRole('link', { name: 'Reserve' }).click();
    await page.getByLabel(/^Name/).fill('Bad Name');
    await page.getByLabel(/^Duration/).fill('45x');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.locator('#f-duration-err').textContent()).toMatch(/duration/);
    await expect.poll(() => page.locator('#f-name-err').textContent()).toMatch(/lowercase/);
    await shot(page, 'reserve-form-errors');

    await page.getByLabel(/^Name/).fill('mysite');
    await page.getByLabel(/^Duration/).fill('31d'); // valid shape, refused by the server: shown at the field
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.locator('#f-duration-err').textContent()).toMatch(/at most/);
    await page.getByLabel(/^Cores/).fill('1.5m'); // finer than a millicore: refused at the field
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.locator('#f-cores-err').textContent()).toMatch(/250m/);
    await page.getByLabel(/^Cores/).fill('0.5');
    await page.getByLabel(/^Duration/).fill('1h');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await page.waitForURL(/#\/reservations$/);
    const mine = (await controller.api.list('reservations')).body.items.find((r: { metadata: { name: string } }) => r.metadata.name === 'mysite');
    expect(mine).toMatchObject({ spec: { cores: 0.5 }, status: { resources: { cores: 0.5 } } });

    const endpoint = page.locator('[data-endpoint]');
    await endpoint.waitFor({ timeout: 30_000 });
    await page.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await endpoint.getAttribute('data-endpoint')).toMatch(/^127\.0\.0\.1:\d+$/);
    await shot(page, 'customer-running');

    await page.getByRole('button', { name: 'delete mysite' }).click();
    await page.getByText('No reservations yet.').waitFor({ timeout: 15_000 });
    expect((await controller.api.list('reservations')).body.items.filter((r: { metadata: { name: string } }) => r.metadata.name === 'mysite')).toEqual([]);
    await page.close();
  });

  it('offers a refused reservation its counter-offer as a button that reserves it', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    // Both of the node's cores are taken for an hour, two hours from now (whole minutes: the form's field has no seconds).
    const blockStart = Math.ceil((Date.now() + 2 * 3_600_000) / 60_000) * 60_000;
    const block = reservation('block', { cores: 2, memory: '64Mi', start: new Date(blockStart).toISOString() });
    expect((await controller.api.apply(block)).status).toBe(201);
    const local = (t: number) => {
      const d = new Date(t);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    };
    await page.goto(`${controller.url}/#/reserve`); // still alice, from the test before
    await page.getByLabel(/^Name/).fill('later');
    await page.getByLabel(/^Start/).fill(local(blockStart + 30 * 60_000));
    await page.getByLabel(/^Duration/).fill('1h');
    await page.getByLabel(/^Cores/).fill('1');
    await page.getByRole('button', { name: 'Reserve' }).click();
    const offer = page.getByRole('button', { name: /^Start .* instead$/ });
    await offer.waitFor({ timeout: 10_000 });
    await shot(page, 'counter-offer');
    await offer.click();
    await page.waitForURL(/#\/reservations$/);
    const later = (await controller.api.list('reservations')).body.items.find((r: { metadata: { name: string } }) => r.metadata.name === 'later');
    expect(later?.spec.start).toBe(new Date(blockStart + 3_600_000).toISOString());
    await page.close();
  });

  it('shows an admin the nodes with a chart that has data, and cordons a node', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    // A running container for the Containers page (before the node is cordoned below).
    expect((await controller.api.apply(reservation('usage', { cores: 0.5 }))).status).toBe(201);
    // The browser context still holds the customer's token from the test before: the admin's
    // is in place before any script of the page runs, so no route ever acts on the old one
    // (a customer's late redirect to #/reservations raced the navigation here).
    await page.addInitScript((t) => localStorage.setItem('berth.token', t), controller.api.token);
    await page.goto(`${controller.url}/#/admin/nodes`);
    const row = page.locator('tr', { hasText: node });
    await row.waitFor().catch(async (err) => {
      await shot(page, 'admin-nodes-failure');
      throw err;
    });
    await row.getByText('Ready', { exact: true }).waitFor();
    // The chart fills in as the controller records samples (every 500 ms in this test, into
    // 1-minute points): until a second minute begins, the one point is drawn as a dot.
    await page.locator(`figure[data-node="${node}"] svg .cpu`).last().waitFor({ timeout: 30_000 });
    const caption = await page.locator(`figure[data-node="${node}"] figcaption`).textContent();
    expect(Number(/\((\d+) samples\)/.exec(caption ?? '')?.[1])).toBeGreaterThan(0);
    // Every label of the chart, the last time included, is drawn inside it (none clipped).
    const outside = await page
      .locator(`figure[data-node="${node}"] svg.chart`)
      .first()
      .evaluate((svg) => {
        const view = (svg as SVGSVGElement).viewBox.baseVal;
        return [...svg.querySelectorAll('text')]
          .map((t) => ({ text: t.textContent, box: (t as SVGTextElement).getBBox() }))
          .filter(({ box }) => box.x < view.x || box.y < view.y || box.x + box.width > view.x + view.width || box.y + box.height > view.y + view.height)
          .map(({ text, box }) => `${text} at x ${box.x.toFixed(1)}..${(box.x + box.width).toFixed(1)} of ${view.width}`);
      });
    expect(outside).toEqual([]);
    await shot(page, 'admin-nodes');

    await row.getByRole('button', { name: `cordon ${node}` }).click();
    await row.getByText('Cordoned').waitFor({ timeout: 10_000 });
    expect((await controller.api.get('nodes', node)).body.spec.unschedulable).toBe(true);
    await shot(page, 'admin-cordoned');

    await page.getByRole('link', { name: 'Containers' }).click();
    await page.getByRole('heading', { name: 'Containers' }).waitFor();
    // Its usage comes from the engine's stats through agent and controller (sampled every 10 s):
    // an idle httpd holds a few hundred KiB, which must not read as nothing.
    const usageRow = page.locator('tr', { hasText: 'usage' });
    await usageRow.getByText('running', { exact: true }).waitFor({ timeout: 30_000 });
    // Before the node's first sample it reads "—" (not measured), never 0.
    const memory = () => usageRow.locator('td').last().textContent();
    expect(await memory()).not.toMatch(/^0 /);
    await expect.poll(memory, { timeout: 30_000 }).toMatch(/^[1-9]\d*(\.\d)? (B|KiB|MiB)$/);
    await shot(page, 'admin-containers');
    await controller.api.delete('reservations', 'usage');
    await page.getByRole('link', { name: 'Reconciliation' }).click();
    await page.getByRole('heading', { name: 'Recent events' }).waitFor();
    await shot(page, 'admin-reconcile');
    await page.close();
  });

  it('ran controller and agent without a deprecation warning on their stderr', () => {
    // Node prints them once per process, at start-up or first use (FSTDEP023 and DEP0123 were
    // printed at every start); by now both have served everything this file exercised.
    expect(controller.log).not.toMatch(/DeprecationWarning|FastifyDeprecation|\[DEP\d+\]|\[FSTDEP\d+\]/);
    expect(agent.log).not.toMatch(/DeprecationWarning|FastifyDeprecation|\[DEP\d+\]|\[FSTDEP\d+\]/);
  });
});
