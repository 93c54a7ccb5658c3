import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { connectAndWaitForFrames, framesPainted, openPlayground, waitForMoreFrames, waitForStatus } from './browser.js';
import { assertBuilt, startPlayground, waitFor, type PlaygroundProcess } from './support.js';

// While the server is down Chromium logs each refused attempt itself
// ("WebSocket connection to … failed"); that is the browser reporting the
// outage the test causes, not an error of the page.
const REFUSED = /^WebSocket connection to 'ws:\/\/[^']+' failed/;

describe('playground', { timeout: 120_000 }, () => {
  let server: PlaygroundProcess | undefined;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    assertBuilt();
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });

  describe('#reconnect', () => {
    it('shows reconnecting while the server is down, then frames again once it is back', async () => {
      server = await startPlayground();
      const { port } = server;
      const view = await openPlayground(chromium.browser, server.url);
      const { page } = view;
      try {
        await connectAndWaitForFrames(page);

        // A crash, not a shutdown: no close frame reaches the browser.
        await server.stop('SIGKILL');
        await waitForStatus(page, 'reconnecting');
        expect(await page.getByRole('status').textContent()).toMatch(/reconnecting/i);
        // A decode already in flight may still land; after that, nothing.
        await page.waitForTimeout(500);
        const stalled = await framesPainted(page);
        await page.waitForTimeout(1000);
        expect(await framesPainted(page)).toBe(stalled);

        server = await startPlayground({ port });
        await waitForStatus(page, 'connected', 30_000);
        expect(await waitForMoreFrames(page, 10)).toBeGreaterThan(stalled);
        await waitFor(async () => (await page.getByRole('status').textContent())?.includes('Connected'), 'Connected');
      } finally {
        await view.close();
      }
      expect(view.errors.filter((e) => !REFUSED.test(e))).toEqual([]);
    });
  });
});
