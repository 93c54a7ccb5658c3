import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { framesPainted, openPlayground, status, waitForMoreFrames, waitForStatus, type PlaygroundPage } from './browser.js';
import { assertBuilt, startPlayground, waitFor, type PlaygroundProcess } from './support.js';

// The img2img view of the built playground (what `npm start` serves) in real
// Chromium with its fake camera: a 640x480 green picture with a turning
// pacman and a clock. The model runs on the server for real, so what the
// canvas paints is checked against what the prompt does to that picture.

const FAKE_CAMERA = ['--use-fake-device-for-media-stream'];
const ALLOW_CAMERA = '--use-fake-ui-for-media-stream';
const DENY_CAMERA = '--deny-permission-prompts';

// A square viewport: the square output then fills the canvas in `contain`.
const VIEWPORT = { width: 800, height: 800 };
// Hidden for the shot, so only the painted frame is measured.
const HIDE_OVERLAYS = '[data-testid="framestream-controls"], [data-testid="dock"] { visibility: hidden !important; }';

interface Look {
  /** Mean of each channel, 0-255. */
  r: number;
  g: number;
  b: number;
  /** Mean of max(r,g,b) - min(r,g,b): 0 for a grey picture. */
  chroma: number;
}

/** What the output canvas shows, from a screenshot of it as a user would see it. */
async function look(page: Page): Promise<Look> {
  const png = await page.getByTestId('stream-canvas').screenshot({ animations: 'allow', style: HIDE_OVERLAYS });
  const px = await sharp(png).resize(64, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const n = px.length / 3;
  let r = 0, g = 0, b = 0, chroma = 0;
  for (let i = 0; i < px.length; i += 3) {
    r += px[i]!;
    g += px[i + 1]!;
    b += px[i + 2]!;
    chroma += Math.max(px[i]!, px[i + 1]!, px[i + 2]!) - Math.min(px[i]!, px[i + 1]!, px[i + 2]!);
  }
  return { r: r / n, g: g / n, b: b / n, chroma: chroma / n };
}

/** Waits until the painted output looks as `check` wants, and returns that look. */
function waitForLook(page: Page, what: string, check: (look: Look) => boolean): Promise<Look> {
  return waitFor(async () => {
    const seen = await look(page);
    return check(seen) ? seen : null;
  }, `the output to look ${what}`, { timeoutMs: 30_000, intervalMs: 250 });
}

/** Types `prompt` into the panel's prompt box and sends it at once (Enter). */
async function prompt(page: Page, text: string): Promise<void> {
  const box = page.getByTestId('prompt-input');
  await box.fill(text);
  await box.press('Enter');
}

const cameraState = (page: Page) => page.getByTestId('camera-input').getAttribute('data-state');
const queuePosition = async (page: Page) => {
  const queue = page.getByTestId('session-queue');
  return (await queue.count()) > 0 ? queue.getAttribute('data-value') : null;
};

const openImg2img = (browser: Browser, server: PlaygroundProcess, viewport = VIEWPORT) =>
  openPlayground(browser, `${server.url}/?view=img2img`, { viewport });

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Checks that every card of the Dock is on screen and none lies under the panel. */
async function expectLaidOut(page: Page, viewport: { width: number; height: number }): Promise<void> {
  const panel = (await page.getByTestId('framestream-controls').boundingBox())!;
  const cards = page.locator('[data-testid="dock"] > *');
  const boxes: Box[] = [];
  for (let i = 0; i < (await cards.count()); i++) {
    const box = await cards.nth(i).boundingBox();
    if (box) boxes.push(box); // a card left out at this size has none
  }
  expect(boxes.length).toBeGreaterThanOrEqual(2);
  // The panel's own height is the panel's business (in a session it is
  // taller than a phone in landscape); the Dock's cards must all fit.
  for (const box of boxes) {
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width + 0.5);
    expect(box.y + box.height).toBeLessThanOrEqual(viewport.height + 0.5);
  }
  for (const box of boxes) expect(overlaps(panel, box), JSON.stringify({ panel, box })).toBe(false);
}

const PHONE = { width: 390, height: 844 };
const PHONE_LANDSCAPE = { width: 844, height: 390 };

let server: PlaygroundProcess;
const launched: LaunchedBrowser[] = [];
const pages: PlaygroundPage[] = [];

beforeAll(async () => {
  assertBuilt();
  server = await startPlayground();
});

afterAll(async () => {
  for (const p of pages.splice(0)) await p.close().catch(() => {});
  for (const b of launched.splice(0)) await b.close();
  await server?.stop();
});

async function browserWith(args: string[]): Promise<Browser> {
  const b = await launchChromium(args);
  launched.push(b);
  return b.browser;
}

async function track(p: Promise<PlaygroundPage>): Promise<PlaygroundPage> {
  const page = await p;
  pages.push(page);
  return page;
}

describe('the img2img view of the playground', () => {
  describe('with a camera', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await browserWith([...FAKE_CAMERA, ALLOW_CAMERA]);
    });

    it('sends the camera through the model and paints the processed camera frames, in the look the prompt names', async () => {
      const { page, errors, workers, close } = await track(openImg2img(browser, server));
      // The camera waits for Connect: nothing is asked for before the user starts.
      expect(await cameraState(page)).toBe('off');
      expect(await page.getByTestId('img2img-notice').textContent()).toMatch(/^Connect to start a session/);
      await page.getByTestId('connect-button').click();
      await waitForStatus(page, 'connected');
      await waitFor(async () => (await cameraState(page)) === 'running', 'the camera to run');
      await waitFor(
        async () => (await page.getByTestId('camera-input').getAttribute('data-sending')) === 'true',
        'camera frames to be sent',
      );
      await waitForMoreFrames(page, 5);
      expect(await page.getByTestId('pattern-input').count()).toBe(0);
      expect(await page.getByTestId('img2img-notice').count()).toBe(0);
      // The socket, the encoding of camera frames and the painting live in a worker.
      expect(workers.length).toBeGreaterThan(0);

      // `original` sends the camera back as it is: the fake camera's green.
      await prompt(page, 'original');
      const original = await waitForLook(page, 'green, like the fake camera', (l) => l.g > l.r + 60 && l.g > l.b + 60);
      expect(original.chroma).toBeGreaterThan(80);

      // `sketch` makes it grey: the colour in the output was the camera's, and the model took it away.
      await prompt(page, 'sketch');
      await waitForLook(page, 'grey', (l) => l.chroma < 8 && l.g > 60);

      // `neon` turns hues a third of the way round: the green becomes blue.
      await prompt(page, 'neon');
      await waitForLook(page, 'blue', (l) => l.b > l.g + 40 && l.b > l.r + 40);

      // Each output names the input it answers: the panel shows the round trip.
      await waitFor(async () => Number(await page.getByTestId('metric-round-trip').getAttribute('data-value')) > 0, 'a round trip');
      expect(errors).toEqual([]);
      await close();
    });

    it("adds the model delay the page picks to the model's time", async () => {
      const { page, errors, close } = await track(openImg2img(browser, server));
      await page.getByTestId('connect-button').click();
      await waitFor(async () => (await page.getByTestId('camera-input').getAttribute('data-sending')) === 'true', 'camera frames to be sent');
      await waitForMoreFrames(page, 3);
      const inference = async () => Number(await page.getByTestId('metric-inference').getAttribute('data-value'));
      await waitFor(async () => (await inference()) > 0, 'an inference time');
      // A few ms of sharp, though a busy machine can stretch it.
      expect(await inference()).toBeLessThan(400);
      await page.getByTestId('model-delay').selectOption('500');
      await waitFor(async () => (await inference()) >= 500, 'an inference time of 500 ms or more');
      // The prompt sent after it keeps the delay: the page sends both together.
      await prompt(page, 'sketch');
      await waitForLook(page, 'grey', (l) => l.chroma < 8 && l.g > 60);
      expect(await inference()).toBeGreaterThanOrEqual(500);
      expect(errors).toEqual([]);
      await close();
    });

    it('releases the camera on Disconnect and stops painting', async () => {
      const { page, errors, close } = await track(openImg2img(browser, server));
      await page.getByTestId('connect-button').click();
      await waitFor(async () => (await page.getByTestId('camera-input').getAttribute('data-sending')) === 'true', 'camera frames to be sent');
      await waitForMoreFrames(page, 3);
      await page.getByTestId('disconnect-button').click();
      await waitForStatus(page, 'disconnected');
      await waitFor(async () => (await cameraState(page)) === 'off', 'the camera to close');
      const painted = await framesPainted(page);
      await page.waitForTimeout(1000);
      expect(await framesPainted(page)).toBe(painted);
      expect(errors).toEqual([]);
      await close();
    });

    it('is one click away from the broadcast view, and back', async () => {
      const { page, errors, close } = await track(openPlayground(browser, `${server.url}/`, { viewport: VIEWPORT }));
      await expect(page.getByTestId('view-broadcast').getAttribute('aria-current')).resolves.toBe('page');
      await page.getByTestId('view-img2img').click();
      await page.getByTestId('camera-input').waitFor();
      expect(new URL(page.url()).searchParams.get('view')).toBe('img2img');
      expect(await page.getByTestId('source-picker').count()).toBe(0);
      await page.getByTestId('view-broadcast').click();
      await page.getByTestId('source-picker').waitFor();
      expect(await page.getByTestId('camera-input').count()).toBe(0);
      expect(errors).toEqual([]);
      await close();
    });
  });

  describe('with the camera denied', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await browserWith([...FAKE_CAMERA, DENY_CAMERA]);
    });

    for (const viewport of [PHONE, PHONE_LANDSCAPE, { width: 1280, height: 720 }]) {
      it(`keeps the camera and pattern cards on screen and clear of the panel at ${viewport.width}x${viewport.height}`, async () => {
        const { page, errors, close } = await track(openImg2img(browser, server, viewport));
        await page.getByTestId('connect-button').click();
        await waitFor(async () => (await page.getByTestId('pattern-input').getAttribute('data-sending')) === 'true', 'the pattern to be sent');
        await expectLaidOut(page, viewport);
        expect(errors).toEqual([]);
        await close();
      });
    }

    it('sends the built-in pattern instead, and paints it processed', async () => {
      const { page, errors, close } = await track(openImg2img(browser, server));
      await page.getByTestId('connect-button').click();
      await waitForStatus(page, 'connected');
      await waitFor(async () => (await cameraState(page)) === 'denied', 'the camera to be denied');
      expect(await page.getByTestId('camera-state').textContent()).toBe('Camera blocked');
      await waitFor(async () => (await page.getByTestId('pattern-input').getAttribute('data-sending')) === 'true', 'the pattern to be sent');
      await waitForMoreFrames(page, 5);

      // The pattern is every colour at once; sketched, it is grey.
      await prompt(page, 'original');
      await waitForLook(page, 'colourful, like the pattern', (l) => l.chroma > 80);
      await prompt(page, 'sketch');
      await waitForLook(page, 'grey', (l) => l.chroma < 8 && l.g > 60);
      // And it moves: the output keeps coming.
      await waitForMoreFrames(page, 10);
      expect(errors).toEqual([]);
      await close();
    });
  });

  describe('with a session time limit', () => {
    let limited: PlaygroundProcess;
    beforeAll(async () => {
      limited = await startPlayground({ env: { FRAMESTREAM_SESSION_TIMEOUT_MS: '4000' } });
    });
    afterAll(async () => {
      await limited?.stop();
    });

    it('shows the time left, then that the session ended and why, and lets the camera go', async () => {
      const browser = await browserWith([...FAKE_CAMERA, ALLOW_CAMERA]);
      const { page, close } = await track(openImg2img(browser, limited));
      await page.getByTestId('connect-button').click();
      await waitForStatus(page, 'connected');
      const left = Number(await page.getByTestId('session-time-left').getAttribute('data-value'));
      expect(left).toBeGreaterThan(0);
      // Whole seconds rounded up, on the client's clock: the offset estimate
      // may put the end a fraction past the 4 s limit.
      expect(left).toBeLessThanOrEqual(5);
      await waitForMoreFrames(page, 3);
      await page.getByTestId('session-ended').waitFor({ timeout: 20_000 });
      expect(await page.getByTestId('session-reason').textContent()).toMatch(/time limit/i);
      await waitFor(async () => (await cameraState(page)) === 'off', 'the camera to close');
      await close();
    });
  });

  describe('with one session at a time', () => {
    let single: PlaygroundProcess;
    beforeAll(async () => {
      single = await startPlayground({ env: { FRAMESTREAM_MAX_SESSIONS: '1' } });
    });
    afterAll(async () => {
      await single?.stop();
    });

    it('queues a second viewer with its place in line, and starts it when the first leaves', async () => {
      const browser = await browserWith([...FAKE_CAMERA, ALLOW_CAMERA]);
      const first = await track(openImg2img(browser, single));
      const second = await track(openImg2img(browser, single));

      await first.page.getByTestId('connect-button').click();
      await waitForStatus(first.page, 'connected');
      await waitForMoreFrames(first.page, 3);

      await second.page.getByTestId('connect-button').click();
      await waitFor(async () => (await status(second.page)) === 'queued', 'the second viewer to be queued');
      await waitFor(async () => (await queuePosition(second.page)) === '1', 'the place in line');
      expect(await second.page.getByTestId('session-queue').textContent()).toBe('Queued: 1st in line');
      expect(await second.page.getByTestId('img2img-notice').textContent()).toContain('you are 1st in line');
      // Queued: its camera may be open, but nothing goes to the model and nothing comes back.
      expect(await second.page.getByTestId('camera-input').getAttribute('data-sending')).toBe('false');
      await second.page.waitForTimeout(1000);
      expect(await framesPainted(second.page)).toBe(0);
      expect(await status(second.page)).toBe('queued');

      await first.page.getByTestId('disconnect-button').click();
      await waitForStatus(second.page, 'connected');
      expect(await queuePosition(second.page)).toBe(null);
      expect(await second.page.getByTestId('img2img-notice').count()).toBe(0);
      await waitForMoreFrames(second.page, 5);
      await prompt(second.page, 'sketch');
      await waitForLook(second.page, 'grey', (l) => l.chroma < 8 && l.g > 60);

      expect(first.errors).toEqual([]);
      expect(second.errors).toEqual([]);
      await first.close();
      await second.close();
    });
  });
});
