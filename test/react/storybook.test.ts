import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, listen } from '../support/net.js';
import { createStaticServer } from './support/static-server.js';
import {
  STORYBOOK_DIR,
  brightness,
  canvasCount,
  canvasData,
  openManager,
  openStory,
  pixels,
  readStories,
  waitForCount,
} from './support/story-page.js';

// Every story of the static Storybook build (`npm run build-storybook`,
// run by pretest), served as plain files and rendered in real Chromium.
const stories = readStories();

describe('Storybook', () => {
  let server: Server;
  let chromium: LaunchedBrowser;
  let base: string;

  beforeAll(async () => {
    server = createStaticServer(STORYBOOK_DIR);
    const [port, launched] = await Promise.all([listen(server), launchChromium()]);
    chromium = launched;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await chromium?.close();
    if (server) await closeServer(server);
  });

  describe('the Storybook UI', () => {
    it('opens on the Playground / Connected story, painting frames, with no onboarding checklist', async () => {
      const { page, preview, errors, close } = await openManager(chromium.browser, base);
      try {
        await expect.poll(() => new URL(page.url()).searchParams.get('path')).toBe('/story/playground--connected');
        await expect
          .poll(async () => Number(await preview.locator('canvas').getAttribute('data-frames-painted')), { timeout: 30_000 })
          .toBeGreaterThanOrEqual(3);
        // Highlighted in the sidebar too, as the story being shown.
        expect(await page.locator('.sidebar-item[data-selected="true"]').getAttribute('data-item-id')).toBe('playground--connected');
        // The checklist is drawn only by `storybook dev`; the built manager
        // carries the same feature flags that turn it off there.
        expect(await page.evaluate(() => (window as unknown as { FEATURES: Record<string, unknown> }).FEATURES)).toMatchObject({
          sidebarOnboardingChecklist: false,
          menuOnboardingChecklist: false,
        });
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it.each(['playground--connected', 'controls--connected', 'streamcanvas--connected'])(
      'gives %s controls to play with',
      async (id) => {
        const { page, close } = await openManager(chromium.browser, base, `/story/${id}`);
        try {
          await page.getByRole('tab', { name: /Controls/ }).click();
          // Every component story takes a fit mode, offered as a radio in the Controls tab.
          await page.locator('#control-fit-1').waitFor({ timeout: 15_000 });
          expect(await page.locator('[id^="control-"]').count()).toBeGreaterThanOrEqual(4);
          expect(await page.getByText('This story has no controls').count()).toBe(0);
        } finally {
          await close();
        }
      },
      60_000,
    );

    it('redraws the Controls panel from its args: fit, status, FPS cap and figures', async () => {
      const { page, preview, errors, close } = await openManager(chromium.browser, base, '/story/controls--connected');
      try {
        await page.getByRole('tab', { name: /Controls/ }).click();
        await page.locator('#control-fit-1').check();
        await preview.getByText('fit: contain').waitFor();

        await page.locator('#control-fps').fill('12.5');
        await expect.poll(() => preview.getByTestId('metric-fps').getAttribute('data-value')).toBe('12.5');
        await page.locator('#control-framesDropped').fill('42');
        await expect.poll(() => preview.getByTestId('metric-dropped').textContent()).toBe('42');

        await page.locator('#control-maxFps').selectOption('10 fps');
        await preview.getByRole('button', { name: 'Settings' }).click();
        await expect.poll(() => preview.getByTestId('max-fps-button').textContent()).toContain('10 fps');

        await page.locator('#control-status').selectOption('error');
        await expect.poll(() => preview.getByRole('status').textContent()).toBe('Connection failed');
        await page.locator('#control-failureUrl').fill('ws://example.test/nowhere/');
        await expect.poll(() => preview.getByTestId('failure-url').textContent()).toBe('ws://example.test/nowhere/');
        expect(await preview.getByRole('button', { name: 'Retry', exact: true }).isEnabled()).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('writes what the user picks in the panel back to the args', async () => {
      const { page, preview, errors, close } = await openManager(chromium.browser, base, '/story/playground--connected');
      try {
        await page.getByRole('tab', { name: /Controls/ }).click();
        await preview.getByRole('button', { name: 'Settings' }).click();
        await preview.getByRole('radio', { name: 'contain' }).click();
        await expect.poll(() => page.locator('#control-fit-1').isChecked()).toBe(true);
        await expect.poll(() => preview.locator('[data-fit]').getAttribute('data-fit')).toBe('contain');

        await preview.getByTestId('max-fps-button').click();
        await preview.getByRole('option', { name: '5 fps', exact: true }).click();
        await expect.poll(() => page.locator('#control-maxFps').inputValue()).toBe('5 fps');
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  });

  describe('every story', () => {
    it('has the states the components are documented with', () => {
      const names = (title: string) => stories.filter((s) => s.title === title).map((s) => s.name);
      for (const title of ['Controls', 'Playground']) {
        expect(names(title)).toEqual(expect.arrayContaining(['Disconnected', 'Connecting', 'Connected', 'Reconnecting', 'Error']));
      }
      expect(names('StreamCanvas')).toEqual(expect.arrayContaining(['Disconnected', 'Connected']));
    });

    it.each(stories.map((s) => [`${s.title} / ${s.name}`, s] as const))(
      'renders %s without console or page errors',
      async (_label, story) => {
        const view = await openStory(chromium.browser, base, story.id);
        try {
          const { page } = view;
          if (story.tags.includes('expected-console-error')) {
            // The error boundary story throws on purpose; React logs what it caught.
            await page.getByRole('alert').waitFor({ timeout: 15_000 });
            expect(view.errors.length).toBeGreaterThan(0);
            for (const e of view.errors) expect(e).toContain('Expected `url` to be a non-empty string');
            return;
          }
          // Live stories must show frames; the others get a moment for late errors.
          const live = /--connected/.test(story.id) && (await page.locator('canvas').count()) > 0;
          if (live) await waitForCount(page, 'frames-painted', 3);
          else await page.waitForTimeout(500);
          expect(await page.locator('#storybook-root > *').first().isVisible()).toBe(true);
          expect(view.errors).toEqual([]);
        } finally {
          await view.close();
        }
      },
      60_000,
    );
  });

  describe('StreamCanvas', () => {
    it('paints changing, non-black frames in a worker', async () => {
      const { page, errors, close } = await openStory(chromium.browser, base, 'streamcanvas--connected');
      try {
        await waitForCount(page, 'frames-painted', 10);
        expect(await canvasData(page, 'thread')).toBe('worker');
        // Stories run in Strict Mode: its remount must leave one canvas and one worker.
        expect(await page.locator('canvas').count()).toBe(1);
        await expect.poll(() => page.workers().length).toBe(1);
        const clip = { x: 0, y: 0, width: 1000, height: 500 };
        expect(await brightness(page, clip)).toBeGreaterThan(15);
        const before = await pixels(page, clip);
        const painted = await canvasCount(page, 'frames-painted');
        await waitForCount(page, 'frames-painted', painted + 5);
        expect((await pixels(page, clip)).equals(before)).toBe(false);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('falls back to the main thread when a Content-Security-Policy forbids blob: workers', async () => {
      const strict = createStaticServer(STORYBOOK_DIR, { 'content-security-policy': "worker-src 'self'" });
      const port = await listen(strict);
      const { page, errors, close } = await openStory(chromium.browser, `http://127.0.0.1:${port}`, 'streamcanvas--connected');
      try {
        await waitForCount(page, 'frames-painted', 10);
        expect(await canvasData(page, 'thread')).toBe('main');
        expect(await brightness(page, { x: 0, y: 0, width: 1000, height: 500 })).toBeGreaterThan(15);
        // The browser reports the refused worker; nothing else may fail.
        expect(errors.filter((e) => !/Content Security Policy/i.test(e))).toEqual([]);
        expect(errors.some((e) => /Content Security Policy/i.test(e))).toBe(true);
      } finally {
        await close();
        await closeServer(strict);
      }
    });

    it('paints frames given to its ref and clears to black', async () => {
      const { page, errors, close } = await openStory(chromium.browser, base, 'streamcanvas--connected-imperative');
      try {
        await waitForCount(page, 'frames-painted', 10);
        const clip = { x: 0, y: 0, width: 1000, height: 500 };
        expect(await brightness(page, clip)).toBeGreaterThan(15);
        await page.getByRole('button', { name: 'Stop and clear' }).click();
        await expect.poll(() => brightness(page, clip), { timeout: 15_000 }).toBeLessThan(1);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('paints on the main thread when asked to', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'streamcanvas--connected-main-thread');
      try {
        await waitForCount(page, 'frames-painted', 10);
        expect(await canvasData(page, 'thread')).toBe('main');
        expect(await brightness(page, { x: 0, y: 0, width: 1000, height: 500 })).toBeGreaterThan(15);
      } finally {
        await close();
      }
    });

    it('drops stale frames instead of queueing them and keeps at most two bitmaps alive', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'streamcanvas--connected-flooded');
      try {
        let maxLive = 0;
        await page.waitForFunction(() => Number(document.querySelector('canvas')?.dataset.framesReceived ?? 0) >= 160, null, {
          timeout: 45_000,
          polling: 100,
        });
        for (let i = 0; i < 10; i++) maxLive = Math.max(maxLive, await canvasCount(page, 'live-bitmaps'));
        // One read, so the three counters belong to the same moment.
        const { received, painted, dropped } = await page.evaluate(() => {
          const d = document.querySelector('canvas')!.dataset;
          return { received: Number(d.framesReceived), painted: Number(d.framesPainted), dropped: Number(d.framesDropped) };
        });
        expect(dropped).toBeGreaterThan(0);
        expect(painted).toBeGreaterThan(5);
        // Each frame is painted or dropped, never both; the rest are still in flight.
        expect(painted + dropped).toBeLessThanOrEqual(received);
        expect(maxLive).toBeLessThanOrEqual(2);
      } finally {
        await close();
      }
    });

    it('letterboxes with contain and fills the canvas with cover', async () => {
      const contain = await openStory(chromium.browser, base, 'streamcanvas--connected-contain');
      const cover = await openStory(chromium.browser, base, 'streamcanvas--connected');
      try {
        await Promise.all([waitForCount(contain.page, 'frames-painted', 5), waitForCount(cover.page, 'frames-painted', 5)]);
        // A 3:4 frame in a 1000x640 canvas: 260 px bars left and right.
        const leftBar = { x: 0, y: 0, width: 200, height: 500 };
        const centre = { x: 400, y: 0, width: 200, height: 500 };
        expect(await brightness(contain.page, leftBar)).toBeLessThan(2);
        expect(await brightness(contain.page, centre)).toBeGreaterThan(15);
        expect(await brightness(cover.page, leftBar)).toBeGreaterThan(15);
      } finally {
        await Promise.all([contain.close(), cover.close()]);
      }
    });

    it('keeps its backing store at its CSS size times devicePixelRatio', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'streamcanvas--connected', { width: 500, height: 300 }, 2);
      try {
        await page.waitForFunction(() => document.querySelector('canvas')?.dataset.backingSize === '1000x600', null, {
          timeout: 15_000,
        });
        await page.setViewportSize({ width: 640, height: 360 });
        await page.waitForFunction(() => document.querySelector('canvas')?.dataset.backingSize === '1280x720', null, {
          timeout: 15_000,
        });
      } finally {
        await close();
      }
    });
  });

  describe('Controls', () => {
    it('drags by its handle and stays on screen', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'controls--disconnected');
      try {
        const panel = page.getByTestId('framestream-controls');
        const handle = page.getByTestId('controls-handle');
        const start = (await panel.boundingBox())!;
        // Styled by the package's stylesheet: the panel's own width, not the page's.
        expect(start.width).toBe(288);
        const grip = (await handle.boundingBox())!;
        await page.mouse.move(grip.x + 20, grip.y + 10);
        await page.mouse.down();
        await page.mouse.move(grip.x + 220, grip.y + 110, { steps: 5 });
        await page.mouse.up();
        const moved = (await panel.boundingBox())!;
        expect(Math.round(moved.x - start.x)).toBe(200);
        expect(Math.round(moved.y - start.y)).toBe(100);

        // Far past the bottom-right corner: it stops at the edge.
        const grip2 = (await handle.boundingBox())!;
        await page.mouse.move(grip2.x + 20, grip2.y + 10);
        await page.mouse.down();
        await page.mouse.move(5000, 5000, { steps: 5 });
        await page.mouse.up();
        const edge = (await panel.boundingBox())!;
        expect(Math.round(edge.x + edge.width)).toBe(1000);
        expect(Math.round(edge.y + edge.height)).toBe(640);

        // And stays on screen when the window shrinks.
        await page.setViewportSize({ width: 700, height: 500 });
        await page.waitForFunction(() => {
          const r = document.querySelector('[data-testid="framestream-controls"]')!.getBoundingClientRect();
          return Math.round(r.right) === 700 && Math.round(r.bottom) === 500;
        });
      } finally {
        await close();
      }
    });

    it('is usable from the keyboard with a visible focus ring', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'controls--disconnected');
      try {
        await page.keyboard.press('Tab');
        await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('controls-handle');
        await page.keyboard.press('Tab');
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Connect');
        const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
        expect(ring).not.toBe('none');
        await page.keyboard.press('Enter');
        await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toBe('Connected');
      } finally {
        await close();
      }
    });
    it('says why the connection failed, names the URL, and retries', async () => {
      const { page, errors, close } = await openStory(chromium.browser, base, 'controls--error-state');
      try {
        expect(await page.getByRole('status').textContent()).toBe('Connection failed');
        expect(await page.getByTestId('failure-message').textContent()).toMatch(/^Could not connect to ws:\/\/localhost:8080\/ws\/test\/: nothing answered there/);
        expect(await page.getByTestId('failure-url').textContent()).toBe('ws://localhost:8080/ws/test/');
        expect(await page.getByRole('button', { name: 'Disconnect', exact: true }).isDisabled()).toBe(true);
        await page.getByRole('button', { name: 'Retry', exact: true }).click();
        await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toBe('Connected');
        expect(await page.getByTestId('failure').count()).toBe(0);
        expect(await page.getByRole('button', { name: 'Connect', exact: true }).isDisabled()).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('counts frames left out by the FPS cap apart from frames lost', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'controls--connected-capped');
      try {
        expect(await page.getByTestId('metric-capped').textContent()).toBe('1240');
        expect(await page.getByTestId('metric-dropped').textContent()).toBe('0');
        expect(await page.getByTestId('metric-fps').textContent()).toBe('10.0');
      } finally {
        await close();
      }
    });
  });

  describe('Controls over an ingest stream', () => {
    it('says the producer left, and since when, over the last frame it sent', async () => {
      const { page, errors, close } = await openStory(chromium.browser, base, 'controls--producer-offline');
      try {
        const message = page.getByTestId('source-message');
        await expect.poll(() => message.textContent(), { timeout: 15_000 }).toMatch(/^Source offline since \d\d:\d\d:\d\d$/);
        expect(await page.getByTestId('status-indicator').textContent()).toBe('Connected');
        const painted = await canvasCount(page, 'frames-painted');
        expect(painted).toBeGreaterThan(3);
        // The frame stays on screen beside the panel, and no new one comes.
        expect(await brightness(page, { x: 400, y: 100, width: 500, height: 400 })).toBeGreaterThan(15);
        await page.waitForTimeout(1000);
        expect(await canvasCount(page, 'frames-painted')).toBeLessThanOrEqual(painted + 1);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('waits for a producer before any frame came', async () => {
      const { page, close } = await openStory(chromium.browser, base, 'controls--waiting-for-producer');
      try {
        await expect.poll(() => page.getByTestId('source-message').textContent(), { timeout: 15_000 }).toBe('Waiting for producer');
        expect(await page.getByTestId('status-indicator').textContent()).toBe('Connected');
        expect(await canvasCount(page, 'frames-painted')).toBe(0);
      } finally {
        await close();
      }
    });
  });

  describe('Playground composition', () => {
    it('streams after Connect and stops painting after Disconnect', async () => {
      const { page, errors, close } = await openStory(chromium.browser, base, 'playground--disconnected');
      try {
        await page.getByRole('button', { name: 'Connect', exact: true }).click();
        await expect.poll(() => page.getByRole('status').textContent(), { timeout: 15_000 }).toBe('Connected');
        await waitForCount(page, 'frames-painted', 10);
        // Full-screen behind the panel, not a zero-height box.
        expect(await brightness(page, { x: 400, y: 0, width: 500, height: 600 })).toBeGreaterThan(15);
        await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
        await expect.poll(() => page.getByRole('status').textContent()).toBe('Disconnected');
        const painted = await canvasCount(page, 'frames-painted');
        // Nothing should arrive any more; give a late frame every chance to show.
        await page.waitForTimeout(1000);
        expect(await canvasCount(page, 'frames-painted')).toBeLessThanOrEqual(painted + 1);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });

    it('changes the fit mode and the FPS cap from the settings menu', async () => {
      const { page, errors, close } = await openStory(chromium.browser, base, 'playground--connected');
      try {
        await waitForCount(page, 'frames-painted', 5);
        await page.getByRole('button', { name: 'Settings' }).click();
        await page.getByRole('radio', { name: 'contain' }).click();
        await expect.poll(() => page.locator('[data-fit]').getAttribute('data-fit')).toBe('contain');

        await page.getByTestId('max-fps-button').click();
        await page.getByRole('option', { name: '5 fps', exact: true }).click();
        await expect.poll(() => page.getByTestId('max-fps-button').textContent()).toContain('5 fps');
        // The stand-in stream honours the cap as the server does; the FPS shown follows.
        await expect
          .poll(async () => Number(await page.getByTestId('metric-fps').getAttribute('data-value')), { timeout: 20_000 })
          .toBeLessThanOrEqual(6);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  });
});
