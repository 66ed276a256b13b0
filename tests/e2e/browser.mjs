// Debian's Chromium, headless, driven by playwright-core: nothing is
// downloaded at test time. Shared by the browser tests (web*.test.mjs).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { makeDataDir } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Where screenshots go (not committed; docs/img/ holds some of them). */
export const ARTIFACTS = path.join(here, 'artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** A headless Chromium with its own profile; locale as a browser would send it. */
export async function launchBrowser({ locale = 'en-GB' } = {}) {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-deps.sh (Debian's chromium)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launchPersistentContext(makeDataDir('iotp-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 860 },
    locale,
  });
}

/** A new page of browser whose console errors, CSP refusals and page errors
 *  land in problems. An answer of 4xx is logged by Chromium as "Failed to load
 *  resource": the tests ask for those on purpose. Anything else is a fault. */
export async function newPage(browser, problems) {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  return page;
}
