// Headless Debian Chromium for the dashboard tests: a fresh profile per run, the flags this
// machine's closed network needs, and trust in exactly the controller's API certificate (by the
// hash of its key) instead of turning certificate checks off.
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { fetchServerChain } from '../../controller/src/cli/trust-on-first-use.ts';

export interface Chromium {
  browser: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(serverUrl: string): Promise<Chromium> {
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'berth-chromium-'));
  const leaf = (await fetchServerChain(serverUrl)).chain[0]!;
  const spki = createHash('sha256')
    .update(createPublicKey(leaf).export({ type: 'spki', format: 'der' }))
    .digest('base64');
  // playwright passes the profile directory as --user-data-dir.
  const browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      `--ignore-certificate-errors-spki-list=${spki}`,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
