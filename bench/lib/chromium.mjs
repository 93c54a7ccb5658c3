import { chromium } from 'playwright-core';

/** Debian's Chromium, as in test/support/browser.ts; CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The test suite's flags (test/support/browser.ts) plus precise memory
// figures for the JS heap reading. Playwright gives each launch a fresh
// temporary profile and removes it on close.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-precise-memory-info',
];

/** Starts headless Chromium. */
export async function launchChromium() {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
  return {
    browser,
    close: () => browser.close().catch(() => {}),
  };
}
