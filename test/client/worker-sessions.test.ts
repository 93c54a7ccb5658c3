import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamWorkerEsbuildPlugin } from '../../build/stream-worker.mjs';
import { createFrameStreamServer, type FrameStreamServer, type InputFrame } from '../../src/server/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { waitUntil } from './support/wait.js';

// WorkerFrameStreamClient on an interactive stream, in real Chromium: the
// page hands frames and params over, the worker encodes and sends them.

const root = resolve(__dirname, '../..');
const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { WorkerFrameStreamClient } from '/wc.js';
  const client = WorkerFrameStreamClient.start({ url: '/ws/live/', autoConnect: true, fpsInterval: 200, maxInputFps: Infinity });
  window.client = client;
  window.sessions = [];
  client.on('session', (s) => window.sessions.push(s && s.state));
</script>`;

let bundle: string;
let chromium: LaunchedBrowser;
let http: Server;
let stream: FrameStreamServer;
let base: string;
const inputs: InputFrame[] = [];
const params: unknown[] = [];

beforeAll(async () => {
  const result = await build({
    entryPoints: [resolve(root, 'src/react/worker-client.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
    alias: { 'framestream/client': resolve(root, 'src/client/index.ts') },
    plugins: [streamWorkerEsbuildPlugin()],
  });
  bundle = result.outputFiles[0]!.text;
  http = createHostServer();
  http.removeAllListeners('request');
  http.on('request', (req, res) => {
    if (req.url === '/wc.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  stream = createFrameStreamServer({
    server: http,
    path: '/ws/live/',
    width: 64,
    height: 48,
    session: async function* (session) {
      session.on('params', (p) => params.push(p));
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

describe('WorkerFrameStreamClient on an interactive stream', () => {
  it('moves an ImageBitmap to its worker, which encodes and sends it; params and the round trip come through', async () => {
    const page = await chromium.browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(String(err)));
    await page.goto(base);
    await page.waitForFunction(() => (window as any).client?.getSnapshot().session?.state === 'active', undefined, { timeout: 20_000 });
    // The session event crossed from the worker (a new session may pass through `queued` first).
    expect((await page.evaluate(() => (window as any).sessions)).at(-1)).toBe('active');

    const outcome = await page.evaluate(async () => {
      const w = window as any;
      const canvas = new OffscreenCanvas(20, 10);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#ff0000';
      ctx.fillRect(0, 0, 20, 10);
      const bitmap = canvas.transferToImageBitmap();
      const result = w.client.sendFrame(bitmap);
      const paramsSent = w.client.setParams({ prompt: 'a red square' });
      // Transferred: the page's handle is detached.
      return { result, paramsSent, widthAfter: bitmap.width };
    });
    expect(outcome).toEqual({ result: 'sent', paramsSent: true, widthAfter: 0 });
    await waitUntil(() => inputs.length > 0, 'the input at the server');
    const { width, height } = await sharp(inputs[0]!.data).metadata();
    expect([width, height]).toEqual([64, 48]);
    const { channels } = await sharp(inputs[0]!.data).stats();
    expect(channels[0]!.mean).toBeGreaterThan(200);
    expect(channels[2]!.mean).toBeLessThan(60);
    await waitUntil(() => params.length > 0, 'the params at the server');
    expect(params[0]).toEqual({ prompt: 'a red square' });

    await page.waitForFunction(() => (window as any).client.getSnapshot().stats.roundTrip !== null, undefined, { timeout: 10_000 });
    // Not a frame: the TypeError is thrown on the page, at the call.
    const thrown = await page.evaluate(() => {
      try {
        (window as any).client.sendFrame('nope');
        return null;
      } catch (err) {
        return String(err);
      }
    });
    expect(thrown).toMatch(/TypeError.*`frame`/);
    expect(problems).toEqual([]);
    await page.close();
  });
});
