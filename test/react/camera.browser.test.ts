import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, listen } from '../support/net.js';
import { bundleReactPage } from '../support/bundle.js';

// CameraInput in real Chromium with its fake camera (a 640×480 test
// pattern), mounted against a client that records every sendFrame call and
// reports an active session. Checks what reaches the client: the rate, the
// kind and size of frame, nothing while paused, and every track stopped on
// unmount; and that a refused or missing camera shows as such.
const root = resolve(__dirname, '../..');

const ENTRY = `
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { CameraInput } from ${JSON.stringify(resolve(root, 'src/react/CameraInput.tsx'))};

const params = new URLSearchParams(location.search);
const fps = Number(params.get('fps') ?? 10);
const width = Number(params.get('width') ?? 320);
const height = Number(params.get('height') ?? 240);
const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

// Every track the page gets, the camera's and the clones made from them.
window.__tracks = [];
const clone = MediaStreamTrack.prototype.clone;
MediaStreamTrack.prototype.clone = function () { const t = clone.call(this); window.__tracks.push(t); return t; };
const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
// ?camera=640x480: a camera that only gives that size, whatever is asked.
// Its tracks ignore applyConstraints, as a browser that cannot scale would.
const fixed = params.get('camera')?.split('x').map(Number);
if (fixed) MediaStreamTrack.prototype.applyConstraints = async () => {};
navigator.mediaDevices.getUserMedia = async (c) => {
  const s = await getUserMedia(fixed ? { ...c, video: { width: { exact: fixed[0] }, height: { exact: fixed[1] } } } : c);
  window.__tracks.push(...s.getTracks());
  return s;
};

window.__sent = [];
let snapshot = {
  status: 'connected',
  stats: { stream: { width, height, fps: 30 } },
  session: { state: 'active', position: null, id: 's1', expiresAt: null, spectator: false, reason: null },
};
const listeners = new Set();
// Another stream size, as a hello arriving after the camera opened would bring.
window.__setStreamSize = (w, h) => {
  snapshot = { ...snapshot, stats: { stream: { width: w, height: h, fps: 30 } } };
  listeners.forEach((l) => l());
};
const client = {
  sendFrame(frame, options) {
    window.__sent.push({
      at: performance.now(),
      type: tag(frame),
      frameWidth: frame.displayWidth ?? frame.width,
      frameHeight: frame.displayHeight ?? frame.height,
      ...options,
    });
    frame.close?.();
    return 'sent';
  },
  setParams() {},
  subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
  getSnapshot: () => snapshot,
};

function App() {
  const [paused, setPaused] = useState(false);
  return <CameraInput client={client} fps={fps} paused={paused} onPausedChange={setPaused} />;
}
const reactRoot = createRoot(document.getElementById('root'));
reactRoot.render(<StrictMode><App /></StrictMode>);
window.__unmount = () => reactRoot.unmount();
`;

const FAKE_CAMERA = ['--use-fake-device-for-media-stream'];
const ALLOW = ['--use-fake-ui-for-media-stream'];

let bundle: string;
let http: Server;
let baseUrl: string;
const browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  bundle = await bundleReactPage(ENTRY);
  http = createServer((req, res) => {
    if (req.url === '/app.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
  });
  // 127.0.0.1 is a secure context, so getUserMedia exists.
  baseUrl = `http://127.0.0.1:${await listen(http)}`;
}, 120_000);

afterAll(async () => {
  for (const b of browsers) await b.close();
  if (http) await closeServer(http);
});

async function openPage(args: string[], query = ''): Promise<{ page: Page; problems: string[] }> {
  const launched = await launchChromium(args);
  browsers.push(launched);
  const page = await launched.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  await page.goto(`${baseUrl}/${query}`);
  return { page, problems };
}

const cameraState = (page: Page) => page.getByTestId('camera-input').getAttribute('data-state');
const sentCount = (page: Page) => page.evaluate(() => (window as unknown as { __sent: unknown[] }).__sent.length);
/** Frames sent per second over the last `ms`. */
async function rate(page: Page, ms: number): Promise<number> {
  const before = await sentCount(page);
  await page.waitForTimeout(ms);
  return ((await sentCount(page)) - before) / (ms / 1000);
}

describe('CameraInput in Chromium with a fake camera', () => {
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ({ page, problems } = await openPage([...FAKE_CAMERA, ...ALLOW], '?fps=10&width=320&height=240'));
  }, 60_000);

  it('runs, showing the camera in its preview', async () => {
    await expect.poll(() => cameraState(page), { timeout: 15_000 }).toBe('running');
    await expect.poll(() => page.getByTestId('camera-preview').evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('camera-sending').textContent()).toBe('Sending 320×240, 10 fps');
  });

  it('sends VideoFrames at about the fps asked for, at the stream size', async () => {
    await expect.poll(() => sentCount(page), { timeout: 10_000 }).toBeGreaterThan(5);
    const perSecond = await rate(page, 3000);
    // 10 fps asked, from a camera that gives more: never more than asked;
    // a loaded shared machine may lose some, never most.
    expect(perSecond).toBeGreaterThanOrEqual(5);
    expect(perSecond).toBeLessThanOrEqual(11);
    const last = await page.evaluate(() => (window as unknown as { __sent: Record<string, unknown>[] }).__sent.at(-1)!);
    expect(last).toMatchObject({ type: 'VideoFrame', width: 320, height: 240 });
    expect(typeof last.captureTime).toBe('number');
    // The camera was asked for about the size sent, and gave it.
    expect({ width: last.frameWidth, height: last.frameHeight }).toEqual({ width: 320, height: 240 });
  });

  it('sends nothing while paused, and carries on after Resume', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await cameraState(page)).toBe('paused');
    await page.waitForTimeout(300); // a frame already on its way may still land
    expect(await rate(page, 1500)).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    expect(await cameraState(page)).toBe('running');
    await expect.poll(() => rate(page, 1000), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
  });

  it('stops every track and sends nothing more once unmounted', async () => {
    const tracks = () => page.evaluate(() => (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((t) => t.readyState));
    expect((await tracks()).length).toBeGreaterThan(0);
    expect(await tracks()).toContain('live');
    await page.evaluate(() => (window as unknown as { __unmount(): void }).__unmount());
    await expect.poll(tracks, { timeout: 5_000 }).toEqual(expect.not.arrayContaining(['live']));
    await page.waitForTimeout(200);
    expect(await rate(page, 1000)).toBe(0);
    expect(problems).toEqual([]);
  });
});

describe('CameraInput in Chromium, cropping', () => {
  it('has the browser scale the camera to a stream size that comes after it opened', async () => {
    const { page } = await openPage([...FAKE_CAMERA, ...ALLOW], '?fps=10&width=320&height=240');
    await expect.poll(() => sentCount(page), { timeout: 15_000 }).toBeGreaterThan(2);
    await page.evaluate(() => (window as unknown as { __setStreamSize(w: number, h: number): void }).__setStreamSize(256, 256));
    // 256×256, not a 240×240 crop of the 320×240 picture: scaled from the camera's own.
    await expect
      .poll(async () => page.evaluate(() => (window as unknown as { __sent: Record<string, number>[] }).__sent.at(-1)!), { timeout: 10_000 })
      .toMatchObject({ width: 256, height: 256, frameWidth: 256, frameHeight: 256 });
    expect(await page.getByTestId('camera-sending').textContent()).toBe('Sending 256×256, 10 fps');
  });

  it('crops a 4:3 camera to a square stream before sending', async () => {
    const { page } = await openPage([...FAKE_CAMERA, ...ALLOW], '?fps=10&width=256&height=256&camera=640x480');
    await expect.poll(() => sentCount(page), { timeout: 15_000 }).toBeGreaterThan(2);
    const last = await page.evaluate(() => (window as unknown as { __sent: Record<string, number>[] }).__sent.at(-1)!);
    expect(last).toMatchObject({ width: 256, height: 256, frameWidth: 480, frameHeight: 480 });
  });
});

describe('CameraInput in Chromium without a camera to use', () => {
  it('shows denied when the browser refuses the camera', async () => {
    const { page } = await openPage([...FAKE_CAMERA, '--deny-permission-prompts']);
    await expect.poll(() => cameraState(page), { timeout: 15_000 }).toBe('denied');
    expect(await page.getByTestId('camera-state').textContent()).toBe('Camera blocked');
    expect(await sentCount(page)).toBe(0);
  });

  it('shows no camera when the machine has none', async (ctx) => {
    // Without the fake device, Chromium looks for real cameras; the test machines have none.
    const { page } = await openPage(ALLOW);
    const cameras = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput').length);
    if (cameras > 0) ctx.skip(); // a machine with a camera of its own cannot show it
    await expect.poll(() => cameraState(page), { timeout: 15_000 }).toBe('no-camera');
    expect(await page.getByTestId('camera-state').textContent()).toBe('No camera found');
  });
});
