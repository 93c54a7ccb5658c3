import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { RawProducer } from '../client/support/raw-producer.js';
import { openPlayground, waitForMoreFrames, waitForStatus, type PlaygroundPage } from './browser.js';
import { assertBuilt, sampleCanvas, startPlayground, waitFor, type PlaygroundProcess } from './support.js';

// The playground's third source: frames from an external producer through
// the Producer stream's ingest endpoint, as `python3
// python/examples/pattern_model.py` would send them. The producer here is a
// plain `ws` client speaking framestream.producer.v1.

describe('playground', { timeout: 120_000 }, () => {
  let server: PlaygroundProcess;
  let chromium: LaunchedBrowser;
  let view: PlaygroundPage | undefined;
  let producer: RawProducer | undefined;
  let jpeg: Uint8Array;

  beforeAll(async () => {
    assertBuilt();
    [server, chromium] = await Promise.all([startPlayground(), launchChromium()]);
    // Bright orange, so a painted frame is easy to tell from the black canvas.
    jpeg = new Uint8Array(await sharp({ create: { width: 512, height: 512, channels: 3, background: '#f08020' } }).jpeg().toBuffer());
  });
  afterEach(async () => {
    await producer?.close();
    producer = undefined;
    const errors = view?.errors ?? [];
    await view?.close();
    view = undefined;
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });

  const ingestUrl = () => `ws://127.0.0.1:${server.port}/ingest/producer`;
  const notice = () => view!.page.getByTestId('source-notice');
  const noticeText = async () => ((await notice().count()) > 0 ? await view!.page.getByTestId('source-message').textContent() : null);

  describe('#producer', () => {
    it('prints the ingest URL and its token on startup', async () => {
      const line = `Producer ingest ws://localhost:${server.port}/ingest/producer (token: playground)`;
      await waitFor(() => server.output().includes(line), 'the ingest line', { timeoutMs: 5_000 });
    });

    it('waits for a producer, paints its frames, and says since when it is offline once it leaves', async () => {
      view = await openPlayground(chromium.browser, `${server.url}/?source=producer&fit=cover`);
      const { page } = view;
      expect(await page.getByTestId('source-producer').getAttribute('aria-checked')).toBe('true');
      await page.getByTestId('connect-button').click();
      await waitForStatus(page, 'connected');
      await waitFor(async () => (await noticeText()) === 'Waiting for producer', '"Waiting for producer"');
      expect((await sampleCanvas(page)).nonBlack).toBeLessThan(0.01);

      producer = new RawProducer(ingestUrl(), 'playground', jpeg);
      await producer.opened;
      await waitForMoreFrames(page, 5);
      await waitFor(async () => (await notice().count()) === 0, 'the notice to go once frames come');
      expect((await sampleCanvas(page)).nonBlack).toBeGreaterThan(0.9);

      await producer.close();
      const text = await waitFor(async () => {
        const shown = await noticeText();
        return shown?.startsWith('Source offline since') ? shown : null;
      }, '"Source offline since"');
      expect(text).toMatch(/^Source offline since \d\d:\d\d:\d\d$/);
      // The viewer's own connection is fine, and the last frame stays.
      expect(await page.getByTestId('status-indicator').textContent()).toBe('Connected');
      expect((await sampleCanvas(page)).nonBlack).toBeGreaterThan(0.9);
    });

    it('keeps the panel, its notice and the picker apart on a 390x844 phone screen', async () => {
      view = await openPlayground(chromium.browser, `${server.url}/?source=producer`, { viewport: { width: 390, height: 844 } });
      const { page } = view;
      await page.getByTestId('connect-button').click();
      // "Waiting for producer", or "Source offline since" when an earlier
      // test's producer left a frame the stream still holds.
      await notice().waitFor({ timeout: 20_000 });
      const panel = (await page.getByTestId('framestream-controls').boundingBox())!;
      const picker = (await page.getByTestId('source-picker').boundingBox())!;
      expect(panel.y + panel.height).toBeLessThanOrEqual(picker.y);
      // Playwright clicks only what nothing covers.
      await page.getByTestId('source-pattern').click({ timeout: 5_000 });
      await waitFor(async () => (await notice().count()) === 0, 'the notice to go with the built-in source');
    });

    it('takes the token from FRAMESTREAM_TOKEN and refuses a producer without it', async () => {
      const other = await startPlayground({ env: { FRAMESTREAM_TOKEN: 'not-the-default' } });
      try {
        await waitFor(() => other.output().includes('(token: not-the-default)'), 'the token line', { timeoutMs: 5_000 });
        const refused = new RawProducer(`ws://127.0.0.1:${other.port}/ingest/producer`, 'playground', jpeg);
        await expect(refused.opened).rejects.toThrow('HTTP 401');
        const admitted = new RawProducer(`ws://127.0.0.1:${other.port}/ingest/producer`, 'not-the-default', jpeg);
        await admitted.opened;
        await admitted.close();
      } finally {
        await other.stop();
      }
    });
  });
});
