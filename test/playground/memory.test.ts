import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { connectAndWaitForFrames, openPlayground, waitForMoreFrames } from './browser.js';
import { assertBuilt, canvasCounter, startPlayground, waitFor, type PlaygroundProcess } from './support.js';

const FRAMES = 3000;

// Counts ImageBitmaps as they are created and closed, in whichever realm it
// runs: the page, and the worker StreamCanvas paints in. Independent of the
// component's own counters, so a leak it does not know about still shows.
// A bitmap closed twice is counted once (a closed bitmap reports 0x0).
function instrumentBitmaps() {
  const scope = globalThis as typeof globalThis & { __bitmaps?: { created: number; closed: number } };
  if (scope.__bitmaps || typeof scope.createImageBitmap !== 'function') return;
  const counts = (scope.__bitmaps = { created: 0, closed: 0 });
  const create = scope.createImageBitmap.bind(scope) as (...args: unknown[]) => Promise<ImageBitmap>;
  (scope as { createImageBitmap: unknown }).createImageBitmap = (...args: unknown[]) =>
    create(...args).then((bitmap) => {
      counts.created++;
      return bitmap;
    });
  const close = ImageBitmap.prototype.close;
  ImageBitmap.prototype.close = function (this: ImageBitmap) {
    if (this.width !== 0 || this.height !== 0) counts.closed++;
    return close.call(this);
  };
}

/** Bitmap counts in the page and in each of its workers. */
async function bitmapCounts(page: Page, workers: Worker[]): Promise<{ created: number; closed: number }[]> {
  const read = () => (globalThis as { __bitmaps?: { created: number; closed: number } }).__bitmaps ?? { created: 0, closed: 0 };
  return Promise.all([page.evaluate(read), ...workers.map((w) => w.evaluate(read))]);
}

/** Used JS heap of the page after a full garbage collection, bytes. */
function heapAfterGc(page: Page): Promise<number> {
  return page.evaluate(() => {
    (globalThis as { gc?: () => void }).gc?.();
    return (performance as Performance & { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize;
  });
}

describe('playground', () => {
  let server: PlaygroundProcess;
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    assertBuilt();
    // A fast stream so a few thousand frames pass in well under a minute.
    [server, chromium] = await Promise.all([
      startPlayground({ env: { FRAMESTREAM_FPS: '120' } }),
      launchChromium(['--enable-precise-memory-info', '--js-flags=--expose-gc']),
    ]);
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });

  describe('#memory', () => {
    it(
      `keeps live ImageBitmaps and the JS heap bounded over ${FRAMES} frames`,
      async () => {
        // The pattern's small frames keep the run about frame count, not
        // about how fast a busy machine decodes 200 KB of noise.
        const view = await openPlayground(chromium.browser, `${server.url}/?source=pattern`, {
          initScript: instrumentBitmaps,
        });
        const { page } = view;
        try {
          // Chromium paints in a worker; instrument it before the first frame
          // (instrumenting twice is a no-op).
          await waitFor(() => view.workers.length > 0, 'the painting worker');
          await Promise.all(view.workers.map((w) => w.evaluate(instrumentBitmaps)));
          await connectAndWaitForFrames(page);
          await waitForMoreFrames(page, 30, 60_000);
          const baseline = await heapAfterGc(page);

          let maxLive = 0;
          let maxOwnCount = 0;
          await waitFor(
            async () => {
              const counts = await bitmapCounts(page, view.workers);
              maxLive = Math.max(maxLive, ...counts.map((c) => c.created - c.closed));
              maxOwnCount = Math.max(maxOwnCount, await canvasCounter(page, 'live-bitmaps'));
              return (await canvasCounter(page, 'frames-received')) >= FRAMES;
            },
            `${FRAMES} frames received`,
            { timeoutMs: 240_000, intervalMs: 250 },
          );
          const created = (await bitmapCounts(page, view.workers)).reduce((n, c) => n + c.created, 0);
          const heapGrowth = (await heapAfterGc(page)) - baseline;

          // Enough bitmaps went through the counters that a leak would show
          // (how many of the frames get decoded depends on the machine: the
          // painter drops what it cannot keep up with, by design).
          expect(created).toBeGreaterThan(100);
          // At most one decode in flight plus the bitmap being painted.
          expect(maxLive).toBeLessThanOrEqual(3);
          expect(maxOwnCount).toBeLessThanOrEqual(3);
          // Thousands of frames leaked would be tens of MB; allow GC noise.
          expect(heapGrowth).toBeLessThan(8 * 1024 * 1024);
          expect(view.errors).toEqual([]);
        } finally {
          await view.close();
        }
      },
      330_000,
    );
  });
});
