import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { brightness } from './support/story-page.js';
import { closeServer, listen } from '../support/net.js';
import { RawProducer } from '../client/support/raw-producer.js';
import { freePort, TestStreamServer, testJpeg } from '../client/support/stream-server.js';
import { createHostServer } from '../support/net.js';
import { bundleReactPage } from '../support/bundle.js';

// The socket in the painting worker, in real Chromium: the built
// framestream/react as an app bundles it, against a real stream server. A
// wrapper counts every WebSocket the page's main thread opens; with the
// hook's defaults there must be none, while the canvas paints.
const root = resolve(__dirname, '../..');

const ENTRY = `
import { StrictMode, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { StreamCanvas, useFrameStream, WorkerFrameStreamClient } from ${JSON.stringify(resolve(root, 'dist/react/index.js'))};

const params = new URLSearchParams(location.search);
const withOnFrame = params.has('onFrame');
const thread = params.get('thread') ?? 'auto';
// ?url=…&attempts=…: another stream URL and a limit on the attempts to reach it.
const url = params.get('url') ?? '/ws/test/';
const attempts = params.has('attempts') ? { maxConnectAttempts: Number(params.get('attempts')) } : {};
window.__frames = 0;

function App() {
  const stream = useFrameStream({
    url,
    ...attempts,
    autoConnect: true,
    thread,
    onFrame: withOnFrame ? (frame) => { window.__frames++; window.__lastFrameSize = frame.data.byteLength; } : undefined,
  });
  window.__stream = stream;
  window.__inWorker = stream.client instanceof WorkerFrameStreamClient;
  return <StreamCanvas client={stream.client} onStats={(s) => { window.__stats = s; }} style={{ width: 320, height: 240 }} />;
}
// ?ref: no client; frames are fed through the canvas handle.
function FedByRef() {
  const ref = useRef(null);
  window.__canvas = ref;
  return <StreamCanvas ref={ref} thread={thread} onStats={(s) => { window.__stats = s; }} style={{ width: 320, height: 240 }} />;
}
const root = createRoot(document.getElementById('root'));
root.render(<StrictMode>{params.has('ref') ? <FedByRef /> : <App />}</StrictMode>);
window.__unmount = () => root.unmount();
`;

// Runs before the page's scripts: counts sockets opened on the main thread.
const COUNT_MAIN_THREAD_SOCKETS = `
  window.__mainSockets = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__mainSockets++; }
  };
`;

let bundle: string;
let whiteJpeg: Buffer;
let http: Server;
let stream: FrameStreamServer;
let chromium: LaunchedBrowser;
let baseUrl: string;
const controls: unknown[] = [];
const closeCodes: number[] = [];

beforeAll(async () => {
  bundle = await bundleReactPage(ENTRY, { client: 'dist' });
  whiteJpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#fff' } }).jpeg().toBuffer();
  http = createServer((req, res) => {
    if (req.url === '/app.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    if (req.url === '/white.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(whiteJpeg);
    // `?csp` serves the page under a policy that refuses blob: workers.
    const csp = req.url?.includes('csp') ? { 'content-security-policy': "worker-src 'self'" } : {};
    res.writeHead(200, { 'content-type': 'text/html', ...csp }).end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
  });
  stream = createFrameStreamServer({ server: http, source: 'pattern', width: 160, height: 120, fps: 30 });
  stream.on('control', (data) => controls.push(data));
  stream.on('disconnect', ({ code }) => closeCodes.push(code));
  baseUrl = `http://127.0.0.1:${await listen(http)}`;
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stream?.close();
  if (http) await closeServer(http);
});

async function openApp(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await chromium.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  await page.addInitScript(COUNT_MAIN_THREAD_SOCKETS);
  await page.goto(`${baseUrl}/${query}`);
  return { page, problems };
}

const read = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;
const painted = (page: Page) => read<number>(page, 'window.__stats?.painted ?? 0');

describe('useFrameStream with a StreamCanvas, socket in the worker', () => {
  it('paints with no WebSocket on the main thread and one socket at the server', async () => {
    const { page, problems } = await openApp();
    await expect.poll(() => painted(page), { timeout: 20_000 }).toBeGreaterThan(10);
    expect(await read(page, 'window.__inWorker')).toBe(true);
    expect(await read(page, 'window.__mainSockets')).toBe(0);
    expect(await read(page, 'window.__stats.thread')).toBe('worker');
    expect(await page.locator('canvas').count()).toBe(1);
    expect(stream.clientCount).toBe(1); // Strict Mode's double mount left one socket
    await expect.poll(() => page.workers().length, { timeout: 5_000 }).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('brings status, FPS and latency to the main thread through the snapshot', async () => {
    const { page } = await openApp();
    await expect.poll(() => read(page, 'window.__stream.status'), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => read<number>(page, 'window.__stream.metrics.fps'), { timeout: 10_000 }).toBeGreaterThan(5);
    const snapshot = await read<{ stats: { framed: boolean; framesReceived: number }; latency: { p50: number } | null }>(
      page,
      'window.__stream.snapshot',
    );
    expect(snapshot.stats.framed).toBe(true);
    expect(snapshot.stats.framesReceived).toBeGreaterThan(0);
    expect(snapshot.latency?.p50).toBeGreaterThanOrEqual(0);
    await page.close();
  });

  it('reports the age of each painted frame, capture to drawn', async () => {
    const { page } = await openApp();
    await expect.poll(() => painted(page), { timeout: 20_000 }).toBeGreaterThan(10);
    // The first frames can come before the first clock estimate (age unknown).
    await expect.poll(() => read(page, 'typeof window.__stats.frameAgeMs'), { timeout: 10_000 }).toBe('number');
    const age = await read<number>(page, 'window.__stats.frameAgeMs');
    expect(age).toBeGreaterThan(-50); // corrected by an estimate, so not exact
    expect(age).toBeLessThan(5_000);
    await page.close();
  });

  it('sends control messages and the FPS cap from the worker to the server', async () => {
    const { page } = await openApp();
    await expect.poll(() => read(page, 'window.__stream.status'), { timeout: 20_000 }).toBe('connected');
    await page.evaluate(() => (window as any).__stream.client.send({ prompt: 'from the worker' }));
    await expect.poll(() => controls, { timeout: 10_000 }).toContainEqual({ prompt: 'from the worker' });
    await page.evaluate(() => (window as any).__stream.setMaxFps(4));
    const before = await painted(page);
    await page.waitForTimeout(3_000);
    // 30 FPS uncapped; at 4 FPS three seconds bring about 12 (the first
    // second may still carry frames sent before the cap arrived).
    expect((await painted(page)) - before).toBeLessThan(45);
    await page.close();
  });

  it('copies frames to the main thread only for onFrame', async () => {
    const { page } = await openApp('?onFrame');
    await expect.poll(() => read<number>(page, 'window.__frames'), { timeout: 20_000 }).toBeGreaterThan(5);
    expect(await read<number>(page, 'window.__lastFrameSize')).toBeGreaterThan(100);
    expect(await read(page, 'window.__mainSockets')).toBe(0);
    await page.close();
  });

  it('closes its socket with code 1000 on disconnect and on unmount', async () => {
    const { page } = await openApp();
    await expect.poll(() => stream.clientCount, { timeout: 20_000 }).toBe(1);
    const closedBefore = closeCodes.length;
    await page.evaluate(() => (window as any).__stream.disconnect());
    await expect.poll(() => stream.clientCount, { timeout: 10_000 }).toBe(0);
    expect(closeCodes.slice(closedBefore)).toEqual([1000]);

    await page.evaluate(() => (window as any).__stream.connect());
    await expect.poll(() => stream.clientCount, { timeout: 10_000 }).toBe(1);
    await page.evaluate(() => (window as any).__unmount());
    await expect.poll(() => stream.clientCount, { timeout: 10_000 }).toBe(0);
    expect(closeCodes.slice(closedBefore)).toEqual([1000, 1000]);
    // The worker is stopped once its socket has closed.
    await expect.poll(() => page.workers().length, { timeout: 5_000 }).toBe(0);
    await page.close();
  });

  it('keeps streaming after an uncaught error inside the running worker', async () => {
    const { page } = await openApp();
    await expect.poll(() => painted(page), { timeout: 20_000 }).toBeGreaterThan(10);
    // An uncaught exception in a worker reaches the page as an `error`
    // event on its Worker object, and the worker runs on. The worker catches
    // what it can, so the event is dispatched on that object (a private
    // field of the client's host) the way the browser would.
    await page.evaluate(() => {
      const worker = (window as any).__stream.client.host.worker as Worker;
      worker.dispatchEvent(new ErrorEvent('error', { message: 'uncaught in the worker', cancelable: true }));
    });
    const before = await painted(page);
    await expect.poll(() => painted(page), { timeout: 10_000 }).toBeGreaterThan(before + 10);
    expect(page.workers().length).toBe(1);
    expect(await read(page, 'window.__mainSockets')).toBe(0);
    await page.close();
  });

  it.each(['auto', 'main'])('clears to black even while a frame is decoding (thread: %s)', async (thread) => {
    const { page, problems } = await openApp(`?ref&thread=${thread}`);
    await page.evaluate(async () => {
      const response = await fetch('/white.jpg');
      (window as any).__jpeg = new Uint8Array(await response.arrayBuffer());
      (window as any).__canvas.current.renderFrame((window as any).__jpeg);
    });
    await expect.poll(() => painted(page), { timeout: 20_000 }).toBe(1);
    const box = (await page.locator('canvas').boundingBox())!;
    expect(await brightness(page, box)).toBeGreaterThan(200);
    // Cleared in the same task it was given in, the frame is still being
    // decoded when the clear arrives; it must not be drawn after it.
    await page.evaluate(() => {
      const canvas = (window as any).__canvas.current;
      canvas.renderFrame((window as any).__jpeg);
      canvas.clear();
    });
    const settled = () => read<number>(page, 'window.__stats.painted + window.__stats.dropped');
    await expect.poll(settled, { timeout: 10_000 }).toBe(2);
    // Usually the decode is still running and the frame is dropped; on a
    // busy machine it may finish (and paint) before the worker reads the
    // clear. Either way nothing may be drawn after the clear.
    expect(await brightness(page, box)).toBeLessThan(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await brightness(page, box)).toBeLessThan(1);
    expect(await read(page, 'window.__stats.thread')).toBe(thread === 'main' ? 'main' : 'worker');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('falls back to a main-thread socket and painter when a CSP refuses blob: workers', async () => {
    const { page, problems } = await openApp('?csp');
    await expect.poll(() => painted(page), { timeout: 20_000 }).toBeGreaterThan(10);
    expect(await read(page, 'window.__stats.thread')).toBe('main');
    expect(await read(page, 'window.__mainSockets')).toBe(1);
    await expect.poll(() => read(page, 'window.__stream.status'), { timeout: 10_000 }).toBe('connected');
    expect(stream.clientCount).toBe(1);
    // The browser reports the refused worker; nothing else may fail.
    expect(problems.filter((e) => !/Content Security Policy/i.test(e))).toEqual([]);
    await page.close();
  });

  it('settles in status error with the failure in its snapshot when the URL cannot be reached', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/ws/test/`;
    const { page } = await openApp(`?url=${encodeURIComponent(url)}&attempts=2`);
    await expect.poll(() => read(page, 'window.__stream.status'), { timeout: 20_000 }).toBe('error');
    expect(await read(page, 'window.__inWorker')).toBe(true);
    const failure = await read<Record<string, unknown>>(page, 'window.__stream.snapshot.failure');
    expect(failure).toMatchObject({ code: 'ERR_UNREACHABLE', url, closeCode: 1006 });
    expect(failure.message).toMatch(/^Could not connect to ws:\/\/127\.0\.0\.1:\d+\/ws\/test\/: nothing answered there, or the server refused the WebSocket/);
    expect(await read(page, 'window.__mainSockets')).toBe(0);
    await page.close();
  });

  it('stops at a refusal close code and carries it in the snapshot from the worker', async () => {
    const refusing = await TestStreamServer.start({ mode: 'framed', onConnection: (ws) => ws.close(4401, 'sign in first') });
    try {
      const { page } = await openApp(`?url=${encodeURIComponent(refusing.url)}`);
      await expect.poll(() => read(page, 'window.__stream.status'), { timeout: 20_000 }).toBe('error');
      expect(await read(page, 'window.__inWorker')).toBe(true);
      expect(await read(page, 'window.__stream.snapshot.failure')).toEqual({
        code: 'ERR_UNAUTHORIZED',
        message: `The server at ${refusing.url} refused this viewer: not authorized (close 4401: sign in first)`,
        url: refusing.url,
        closeCode: 4401,
      });
      await page.waitForTimeout(1_000); // a retry would come within this
      expect(refusing.connections).toBe(1);
      await page.close();
    } finally {
      await refusing.close();
    }
  });

  it("carries an ingest stream's producer coming and going, in the snapshot and as source events", async () => {
    const host = createHostServer();
    const ingest = createFrameStreamServer({ server: host, path: '/ws/model/', ingest: { path: '/ingest/model', token: 'worker-test' } });
    const port = await listen(host);
    let producer: RawProducer | undefined;
    try {
      const { page, problems } = await openApp(`?url=${encodeURIComponent(`ws://127.0.0.1:${port}/ws/model/`)}`);
      await expect.poll(() => read(page, 'window.__stream.status'), { timeout: 20_000 }).toBe('connected');
      expect(await read(page, 'window.__inWorker')).toBe(true);
      await page.evaluate(() => {
        const w = window as any;
        w.__sources = [];
        w.__stream.client.on('source', (s: unknown) => w.__sources.push(s));
      });
      await expect.poll(() => read(page, 'window.__stream.snapshot.source?.online'), { timeout: 10_000 }).toBe(false);

      producer = new RawProducer(`ws://127.0.0.1:${port}/ingest/model`, 'worker-test', await testJpeg(160, 120));
      await producer.opened;
      await expect.poll(() => read(page, 'window.__stream.snapshot.source'), { timeout: 10_000 }).toEqual({ online: true, offlineSince: null });
      await expect.poll(() => painted(page), { timeout: 10_000 }).toBeGreaterThan(3);

      await producer.close();
      const leftAt = Date.now();
      await expect.poll(() => read(page, 'window.__stream.snapshot.source?.online'), { timeout: 10_000 }).toBe(false);
      const since = await read<number>(page, 'window.__stream.snapshot.source.offlineSince');
      expect(Math.abs(since - leftAt)).toBeLessThan(1_500);
      // The first offline report may come before or after the listener was added.
      expect((await read<boolean[]>(page, 'window.__sources.map((s) => s && s.online)')).slice(-2)).toEqual([true, false]);
      expect(await read(page, 'window.__mainSockets')).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await producer?.close();
      await ingest.close();
      await closeServer(host);
    }
  });

  it("keeps the socket on the main thread with thread: 'main'", async () => {
    const { page } = await openApp('?thread=main');
    await expect.poll(() => painted(page), { timeout: 20_000 }).toBeGreaterThan(5);
    expect(await read(page, 'window.__inWorker')).toBe(false);
    expect(await read(page, 'window.__mainSockets')).toBe(1);
    await page.close();
  });
});
