import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameStreamServer, type FrameStreamServer, type InputFrame } from '../../src/server/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { bundleReactPage } from '../support/bundle.js';

// The camera, the prompt box and the round trip against the package's own
// interactive stream, in real Chromium with its fake camera: useFrameStream,
// CameraInput and Controls as an app composes them (src/react, bundled as an
// app's bundler would), and a session that answers each camera frame with
// that frame. `maxSessions: 1`, so a second page waits in the queue.
const root = resolve(__dirname, '../..');

const ENTRY = `
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { CameraInput, Controls, useFrameStream, WorkerFrameStreamClient } from ${JSON.stringify(resolve(root, 'src/react/index.ts'))};

window.__outputs = 0;
function App() {
  const thread = new URLSearchParams(location.search).get('thread') ?? 'main';
  const stream = useFrameStream({ url: '/ws/img2img/', autoConnect: true, thread, onFrame: () => window.__outputs++ });
  window.__stream = stream;
  window.__inWorker = stream.client instanceof WorkerFrameStreamClient;
  return (
    <>
      <Controls stream={stream} />
      <CameraInput client={stream.client} style={{ position: 'fixed', right: 0, bottom: 0 }} />
    </>
  );
}
const reactRoot = createRoot(document.getElementById('root'));
reactRoot.render(<StrictMode><App /></StrictMode>);
window.__unmount = () => reactRoot.unmount();
`;

let bundle: string;
let http: Server;
let stream: FrameStreamServer;
let chromium: LaunchedBrowser;
let base: string;
/** Input frames the model took, per session id. */
const inputs = new Map<string, InputFrame[]>();
const prompts: unknown[] = [];

beforeAll(async () => {
  bundle = await bundleReactPage(ENTRY, { worker: true });
  http = createHostServer();
  http.removeAllListeners('request');
  http.on('request', (req, res) => {
    if (req.url === '/app.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
  });
  stream = createFrameStreamServer({
    server: http,
    path: '/ws/img2img/',
    width: 320,
    height: 240,
    fps: 10,
    maxSessions: 1,
    session: async function* (session) {
      const mine: InputFrame[] = [];
      inputs.set(session.id, mine);
      session.on('params', (p) => prompts.push(p.prompt));
      for await (const input of session.frames()) {
        mine.push({ ...input, data: input.data.slice() });
        yield { frame: input.data, metrics: { inferenceMs: 1 } };
      }
    },
  });
  stream.on('error', () => {});
  base = `http://127.0.0.1:${await listen(http)}`;
  chromium = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stream?.close();
  if (http) await closeServer(http);
});

async function openPage(query = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await chromium.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  await page.goto(`${base}/${query}`);
  return { page, problems };
}

const read = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;
const sessionId = (page: Page) => read<string | null>(page, 'window.__stream.snapshot?.session?.id ?? null');
const taken = (id: string | null) => (id ? (inputs.get(id)?.length ?? 0) : 0);

describe('CameraInput and Controls on an interactive stream, in Chromium', () => {
  let first: Page;
  let firstProblems: string[];
  let firstId: string;

  it('sends camera frames at the stream’s size and rate, and the session’s answers come back', async () => {
    ({ page: first, problems: firstProblems } = await openPage());
    await expect.poll(() => sessionId(first), { timeout: 20_000 }).not.toBeNull();
    firstId = (await sessionId(first))!;
    await expect.poll(() => first.getByTestId('camera-input').getAttribute('data-sending'), { timeout: 15_000 }).toBe('true');
    // The stream's hello (320×240 at 10 fps) sets the camera's defaults.
    expect(await first.getByTestId('camera-sending').textContent()).toBe('Sending 320×240, 10 fps');
    await expect.poll(() => taken(firstId), { timeout: 15_000 }).toBeGreaterThan(5);
    const before = taken(firstId);
    await first.waitForTimeout(3000);
    const perSecond = (taken(firstId) - before) / 3;
    // Never more than the stream's 10 fps; a loaded shared machine may lose some, never most.
    expect(perSecond).toBeGreaterThanOrEqual(5);
    expect(perSecond).toBeLessThanOrEqual(11);
    const { width, height } = await sharp(inputs.get(firstId)!.at(-1)!.data).metadata();
    expect({ width, height }).toEqual({ width: 320, height: 240 });
    expect(await read<number>(first, 'window.__outputs')).toBeGreaterThan(5);
  });

  it('shows the round trip beside latency and inference', async () => {
    await expect
      .poll(() => first.getByTestId('metric-round-trip').getAttribute('data-value'), { timeout: 10_000 })
      .toMatch(/^\d+(\.\d+)?$/);
    const ms = Number(await first.getByTestId('metric-round-trip').getAttribute('data-value'));
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000);
  });

  it('sends the prompt to the session once, after the typing stops', async () => {
    await first.getByLabel('Prompt').pressSequentially('a red fox', { delay: 40 });
    await expect.poll(() => prompts.at(-1), { timeout: 5_000 }).toBe('a red fox');
    await first.waitForTimeout(600);
    // Nine keys, one message.
    expect(prompts).toEqual(['a red fox']);
  });

  it('keeps a second viewer queued, camera on and sending nothing, until the first leaves', async () => {
    const { page: second, problems } = await openPage();
    await expect.poll(() => second.getByTestId('session-queue').textContent(), { timeout: 20_000 }).toBe('Queued: 1st in line');
    await expect.poll(() => second.getByTestId('camera-input').getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    expect(await second.getByTestId('camera-sending').textContent()).toBe('Waiting for a session');
    expect(await second.getByTestId('camera-input').getAttribute('data-sending')).toBe('false');

    await first.evaluate(() => (window as unknown as { __unmount(): void }).__unmount());
    expect(firstProblems).toEqual([]);
    await first.close();
    await expect.poll(() => sessionId(second), { timeout: 20_000 }).not.toBeNull();
    const secondId = (await sessionId(second))!;
    expect(secondId).not.toBe(firstId);
    await expect.poll(() => taken(secondId), { timeout: 15_000 }).toBeGreaterThan(3);
    expect(problems).toEqual([]);
    // Left cleanly (a dropped socket would hold the session for its grace period).
    await second.evaluate(() => (window as unknown as { __unmount(): void }).__unmount());
    await second.close();
  });

  it('sends through a socket in the worker (the hook\'s default) the same way', async () => {
    const { page, problems } = await openPage('?thread=auto');
    await expect.poll(() => sessionId(page), { timeout: 20_000 }).not.toBeNull();
    expect(await read(page, 'window.__inWorker')).toBe(true);
    const id = (await sessionId(page))!;
    await expect.poll(() => taken(id), { timeout: 15_000 }).toBeGreaterThan(5);
    await expect.poll(() => read<number>(page, 'window.__outputs'), { timeout: 10_000 }).toBeGreaterThan(5);
    await expect
      .poll(() => page.getByTestId('metric-round-trip').getAttribute('data-value'), { timeout: 10_000 })
      .toMatch(/^\d+(\.\d+)?$/);
    const { width, height } = await sharp(inputs.get(id)!.at(-1)!.data).metadata();
    expect({ width, height }).toEqual({ width: 320, height: 240 });
    expect(problems).toEqual([]);
    await page.close();
  });
});
