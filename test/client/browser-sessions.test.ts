import type { Server } from 'node:http';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameStreamServer, type FrameStreamServer, type InputFrame } from '../../src/server/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { bundleClientForBrowser } from '../support/bundle.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { waitUntil } from './support/wait.js';

// sendFrame's encoding path as a browser runs it: src/client bundled for
// the browser, in real Chromium, encoding ImageBitmaps, VideoFrames and
// canvases to JPEG with OffscreenCanvas, on the page and in a worker,
// against the package's own interactive stream.

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { FrameStreamClient } from '/client.js';
  const client = new FrameStreamClient({ url: '/ws/live/', autoConnect: true, fpsInterval: 200, maxInputFps: Infinity });
  window.client = client;
  window.results = [];
  window.roundTrips = [];
  client.on('frame', (f) => f.roundTripMs !== null && window.roundTrips.push(f.roundTripMs));
  /** A canvas filled with one colour. */
  window.solid = (w, h, colour, Canvas = OffscreenCanvas) => {
    const canvas = Canvas === OffscreenCanvas ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, w, h);
    return canvas;
  };
</script>`;

// A module worker that runs the client itself: encoding there is what
// WorkerFrameStreamClient relies on.
const WORKER = `
import { FrameStreamClient } from '/client.js';
const client = new FrameStreamClient({ url: new URL('/ws/live/', location.href).href, autoConnect: true, maxInputFps: Infinity });
client.on('session', async (s) => {
  if (s?.state !== 'active') return;
  const canvas = new OffscreenCanvas(40, 30);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#0000ff';
  ctx.fillRect(0, 0, 40, 30);
  const result = client.sendFrame(canvas.transferToImageBitmap());
  postMessage(result);
});
`;

let bundle: string;
let chromium: LaunchedBrowser;
let http: Server;
let stream: FrameStreamServer;
let base: string;
const inputs: InputFrame[] = [];

beforeAll(async () => {
  bundle = await bundleClientForBrowser();
  http = createHostServer();
  http.removeAllListeners('request');
  http.on('request', (req, res) => {
    if (req.url === '/client.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    if (req.url === '/worker.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(WORKER);
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  stream = createFrameStreamServer({
    server: http,
    path: '/ws/live/',
    width: 64,
    height: 48,
    session: async function* (session) {
      for await (const input of session.frames()) {
        inputs.push({ ...input, data: input.data.slice() });
        yield { frame: input.data };
      }
    },
  });
  stream.on('error', () => {});
  base = `http://127.0.0.1:${await listen(http)}`;
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stream?.close();
  if (http) await closeServer(http);
});

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await chromium.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  await page.goto(base);
  await page.waitForFunction(() => (window as any).client?.getSnapshot().session?.state === 'active', undefined, { timeout: 20_000 });
  return { page, problems };
}

/** The decoded input's size and its mean colour. */
async function look(input: InputFrame): Promise<{ width: number; height: number; rgb: number[] }> {
  const { channels } = await sharp(input.data).stats();
  const { width, height } = await sharp(input.data).metadata();
  return { width: width!, height: height!, rgb: channels.slice(0, 3).map((c) => Math.round(c.mean)) };
}

const near = (rgb: number[], want: number[]) => rgb.every((v, i) => Math.abs(v - want[i]!) < 24);

describe('FrameStreamClient#sendFrame in Chromium', () => {
  it('encodes an ImageBitmap to a JPEG at the stream’s size by default, and at a size asked for', async () => {
    const { page, problems } = await openPage();
    const from = inputs.length;
    const result = await page.evaluate(async () => {
      const w = window as any;
      const bitmap = await createImageBitmap(w.solid(20, 10, '#ff0000'));
      return w.client.sendFrame(bitmap);
    });
    expect(result).toBe('sent');
    await waitUntil(() => inputs.length > from, 'the input at the server');
    const first = await look(inputs[from]!);
    expect(first).toMatchObject({ width: 64, height: 48 });
    expect(near(first.rgb, [255, 0, 0])).toBe(true);

    // A canvas on the page and a VideoFrame, at sizes asked for.
    await page.evaluate(async () => {
      const w = window as any;
      w.results.push(w.client.sendFrame(w.solid(50, 50, '#00ff00', HTMLCanvasElement), { width: 32, height: 16, quality: 0.9 }));
    });
    await waitUntil(() => inputs.length > from + 1, 'the canvas input at the server');
    const second = await look(inputs[from + 1]!);
    expect(second).toMatchObject({ width: 32, height: 16 });
    expect(near(second.rgb, [0, 255, 0])).toBe(true);

    await page.evaluate(async () => {
      const w = window as any;
      const frame = new VideoFrame(w.solid(24, 24, '#ffffff'), { timestamp: 0 });
      w.results.push(w.client.sendFrame(frame, { width: 24, height: 24 }));
      // The client owns the frame: closed once encoded.
      await new Promise((r) => setTimeout(r, 200));
      w.videoFrameClosed = frame.format === null;
    });
    await waitUntil(() => inputs.length > from + 2, 'the VideoFrame input at the server');
    const third = await look(inputs[from + 2]!);
    expect(third).toMatchObject({ width: 24, height: 24 });
    expect(near(third.rgb, [255, 255, 255])).toBe(true);
    expect(await page.evaluate(() => (window as any).videoFrameClosed)).toBe(true);

    // The echoes came back naming their inputs: the round trip is measured.
    await page.waitForFunction(() => (window as any).roundTrips.length >= 3, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => (window as any).client.getStats().roundTrip !== null, undefined, { timeout: 10_000 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('encodes in a worker, where only OffscreenCanvas exists', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(base);
    const from = inputs.length;
    const result = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const worker = new Worker('/worker.js', { type: 'module' });
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
        }),
    );
    expect(result).toBe('sent');
    await waitUntil(() => inputs.length > from, 'the worker’s input at the server');
    const got = await look(inputs.at(-1)!);
    expect(got).toMatchObject({ width: 64, height: 48 });
    expect(near(got.rgb, [0, 0, 255])).toBe(true);
    await page.close();
  });
});
