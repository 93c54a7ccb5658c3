import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleClientForBrowser } from '../support/bundle.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { TestStreamServer, type StreamMode } from './support/stream-server.js';

// The client as a browser app gets it: src/client bundled by Vite for the
// browser, loaded by a page in real Chromium, using the page's own WebSocket.

let bundle: string;
let chromium: LaunchedBrowser;
const servers: TestStreamServer[] = [];

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>framestream client</title>
<script type="module">
  import { FrameStreamClient } from '/client.js';
  window.FrameStreamClient = FrameStreamClient;
  const result = { statuses: [], frames: [], decoded: [], latency: [], errors: [], open: null };
  window.result = result;
  // A relative URL: the client resolves it against the page.
  const client = new FrameStreamClient({ url: '/ws/test/', autoConnect: true, fpsInterval: 250 });
  window.client = client;
  client.on('status', (s) => result.statuses.push(s));
  client.on('open', (info) => (result.open = info));
  client.on('error', (e) => result.errors.push(e.code));
  client.on('latency', (s) => result.latency.push(s.ms));
  client.on('frame', (f) => {
    if (result.frames.length >= 5) return;
    result.frames.push({
      seq: f.seq, width: f.width, height: f.height, codec: f.codec, metrics: f.metrics ?? null,
      latencyMs: f.latencyMs, bytes: f.data.byteLength, isUint8Array: f.data instanceof Uint8Array,
    });
    // Decode the bytes as the browser would paint them.
    createImageBitmap(new Blob([f.data], { type: 'image/jpeg' })).then(
      (bmp) => result.decoded.push([bmp.width, bmp.height]),
      (err) => result.errors.push('decode: ' + err),
    );
  });
</script>`;

beforeAll(async () => {
  bundle = await bundleClientForBrowser();
  chromium = await launchChromium();
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await chromium?.close();
});

async function openPage(mode: StreamMode): Promise<{ page: Page; server: TestStreamServer }> {
  const server = await TestStreamServer.start({
    mode,
    fps: 20,
    width: 96,
    height: 64,
    files: {
      '/': { type: 'text/html', body: PAGE },
      '/client.js': { type: 'text/javascript', body: bundle },
    },
  });
  servers.push(server);
  const page = await chromium.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForFunction(() => (window as any).result?.decoded.length >= 3, undefined, { timeout: 20_000 }).catch((err) => {
    throw new Error(`${err}; page errors: ${problems.join('; ')}`);
  });
  return { page, server };
}

describe('FrameStreamClient in Chromium', () => {
  it('bundles for the browser without Node built-ins', () => {
    expect(bundle).toMatch(/FrameStreamClient = class|class FrameStreamClient/);
    expect(bundle).not.toMatch(/from ["']node:|require\(["'](ws|node:)/);
  });

  it('receives framed frames with their metadata and decodes them as JPEG', async () => {
    const { page, server } = await openPage('framed');
    await page.waitForFunction(() => (window as any).result.latency.length >= 3, undefined, { timeout: 20_000 });
    const result = await page.evaluate(() => (window as any).result);
    expect(result.errors).toEqual([]);
    // autoConnect emitted `connecting` inside the constructor, before the page listened.
    expect(result.statuses[0]).toBe('connected');
    const stream = { width: 96, height: 64, fps: 20, codec: 'jpeg', source: 'test' };
    // The relative URL, resolved against the page.
    expect(result.open).toEqual({ framed: true, stream, url: `ws://127.0.0.1:${server.port}/ws/test/` });
    const seqs = result.frames.map((f: { seq: number }) => f.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
    for (const f of result.frames) {
      expect(f).toMatchObject({ width: 96, height: 64, codec: 'jpeg', metrics: { inferenceMs: 12.5 }, isUint8Array: true });
    }
    expect(result.decoded.slice(0, 3)).toEqual([[96, 64], [96, 64], [96, 64]]);
    for (const ms of result.latency) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(5000);
    }
    const stats = await page.evaluate(() => (window as any).client.getStats());
    expect(stats.framed).toBe(true);
    expect(stats.clockOffsetMs).not.toBeNull();
    await page.close();
  });

  it('receives bare JPEG frames from a server without the subprotocol', async () => {
    const { page, server } = await openPage('bare');
    const result = await page.evaluate(() => (window as any).result);
    expect(result.errors).toEqual([]);
    expect(result.open).toEqual({ framed: false, stream: null, url: server.url });
    expect(result.frames.slice(0, 3).map((f: { seq: number }) => f.seq)).toEqual([1, 2, 3]);
    for (const f of result.frames) expect(f).toMatchObject({ width: 96, height: 64, latencyMs: null, metrics: null });
    expect(result.decoded.slice(0, 3)).toEqual([[96, 64], [96, 64], [96, 64]]);
    expect(result.latency).toEqual([]);
    await page.close();
  });

  it('stays framed when a reconnect is refused once (503), though the browser tells that refusal from no other', async () => {
    const { page, server } = await openPage('framed');
    const from = server.handshakes;
    server.opts.refuse = (n) => (n === from ? 503 : false);
    for (const ws of server.sockets) ws.terminate();
    await page.waitForFunction(() => (window as any).client.status === 'reconnecting', undefined, { timeout: 20_000 });
    await page.waitForFunction(() => (window as any).client.status === 'connected', undefined, { timeout: 20_000 });
    expect(await page.evaluate(() => (window as any).result.open)).toMatchObject({ framed: true });
    expect(await page.evaluate(() => (window as any).client.getStats().framed)).toBe(true);
    expect(server.askedFor.slice(from).every((asked) => asked.includes('framestream.v1'))).toBe(true);
    await page.close();
  });

  it('names the URL when a wrong path is refused, and settles in status error after maxConnectAttempts', async () => {
    const { page, server } = await openPage('framed');
    server.opts.refuse = (_, req) => (req.url === '/ws/test/' ? false : 404);
    const outcome = await page.evaluate(
      () =>
        new Promise<{ errors: string[]; failure: unknown; status: string }>((resolve) => {
          const errors: string[] = [];
          const client = new (window as any).FrameStreamClient({ url: '/ws/tset/', maxConnectAttempts: 2, initialDelayMs: 10 });
          client.on('error', (e: { code: string; message: string }) => errors.push(`${e.code} ${e.message}`));
          client.on('status', (status: string) => {
            if (status === 'error') resolve({ errors, failure: client.getSnapshot().failure, status });
          });
          client.connect();
        }),
    );
    const url = `ws://127.0.0.1:${server.port}/ws/tset/`;
    expect(outcome.errors).toEqual([
      `ERR_UNREACHABLE Could not connect to ${url}: nothing answered there, or the server refused the WebSocket (check the host, port and path)`,
      `ERR_UNREACHABLE Could not connect to ${url}: nothing answered there, or the server refused the WebSocket (check the host, port and path)`,
      `ERR_RECONNECT_EXHAUSTED Gave up connecting to ${url} after 2 failed attempts: Could not connect to ${url}: nothing answered there, or the server refused the WebSocket (check the host, port and path)`,
    ]);
    expect(outcome.failure).toMatchObject({ code: 'ERR_UNREACHABLE', url, closeCode: 1006 });
    await page.close();
  });

  it('reconnects in the browser after the server restarts', async () => {
    const { page, server } = await openPage('framed');
    await server.close();
    await page.waitForFunction(() => (window as any).client.status === 'reconnecting', undefined, { timeout: 20_000 });
    await server.restart();
    await page.waitForFunction(() => (window as any).client.status === 'connected', undefined, { timeout: 20_000 });
    const before = await page.evaluate(() => (window as any).client.getStats().framesReceived);
    await page.waitForFunction((n) => (window as any).client.getStats().framesReceived > n + 2, before, { timeout: 20_000 });
    await page.close();
  });
});
