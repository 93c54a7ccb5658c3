import { execFile } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import react from '@vitejs/plugin-react';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, listen } from '../support/net.js';

// The README's React example, exactly as written there, in a new Vite +
// React app that has no Tailwind and no CSS of its own, with framestream
// installed from the packed tarball (so dist/ must be built first). The app
// is served by a real framestream server and opened in Chromium: what a new
// user sees after pasting the snippet.
const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/** The README's React snippet: the ```tsx block that imports framestream/react. */
function readmeSnippet(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes("from 'framestream/react'"));
  if (!block) throw new Error('README.md has no ```tsx block importing framestream/react');
  return block;
}

const README_URL = 'ws://localhost:8080/ws/test/';
const MAIN = `
import { createRoot } from 'react-dom/client';
import { Viewer } from './Viewer';

createRoot(document.getElementById('root')!).render(<Viewer />);
`;
// A second page of the same app: a canvas in a container with no height.
const ASPECT = (url: string) => `
import 'framestream/react/styles.css';
import { createRoot } from 'react-dom/client';
import { StreamCanvas, useFrameStream } from 'framestream/react';

function Holder() {
  const stream = useFrameStream({ url: ${JSON.stringify(url)}, autoConnect: location.hash !== '#idle' });
  return <div style={{ width: 640 }}><StreamCanvas client={stream.client} /></div>;
}
createRoot(document.getElementById('root')!).render(<Holder />);
`;
const page2 = (script: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>viewer</title></head>
<body><div id="root"></div><script type="module" src="${script}"></script></body></html>
`;
const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>viewer</title></head>
<body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>
`;
// What the app installs: framestream (from the tarball) and its React peers;
// the server side resolves ws and sharp from the same node_modules.
const DEPS = ['react', 'react-dom', '@headlessui/react', 'eventemitter3', 'ws', 'sharp'];

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

let work: string;
let http: Server;
let stream: { close(): Promise<void> | void };
let wide: { close(): Promise<void> | void };
let chromium: LaunchedBrowser;
let page: Page;
let origin: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'framestream-readme-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root });
  const tarball = join(work, stdout.trim().split('\n').pop()!);
  const app = join(work, 'app');
  const pkgDir = join(app, 'node_modules', 'framestream');
  mkdirSync(pkgDir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  for (const dep of DEPS) {
    mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
  }

  // The server first, for its port; then the app, built against it.
  const dist = join(app, 'dist');
  http = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    // The page names no icon; without this Chromium logs a 404 for it.
    if (pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = normalize(join(dist, pathname === '/' ? 'index.html' : pathname));
    try {
      if (!file.startsWith(dist) || !statSync(file).isFile()) throw new Error('not found');
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  const server = (await import(pathToFileURL(join(pkgDir, 'dist/server/index.js')).href)) as typeof import('../../src/server/index.js');
  stream = server.createFrameStreamServer({ server: http });
  wide = server.createFrameStreamServer({ server: http, path: '/ws/wide/', width: 640, height: 360 });
  origin = `127.0.0.1:${await listen(http)}`;

  const snippet = readmeSnippet();
  expect(snippet).toContain(README_URL);
  mkdirSync(join(app, 'src'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'viewer', private: true, type: 'module' }));
  writeFileSync(join(app, 'index.html'), HTML);
  writeFileSync(join(app, 'src/main.tsx'), MAIN);
  // The one change: the README's server is on :8080, this one on port 0.
  writeFileSync(join(app, 'src/Viewer.tsx'), snippet.replace(README_URL, `ws://${origin}/ws/test/`));
  writeFileSync(join(app, 'aspect.html'), page2('/src/aspect.tsx'));
  writeFileSync(join(app, 'src/aspect.tsx'), ASPECT(`ws://${origin}/ws/wide/`));
  await build({
    root: app,
    configFile: false,
    logLevel: 'silent',
    plugins: [react()],
    build: { outDir: dist, rollupOptions: { input: [join(app, 'index.html'), join(app, 'aspect.html')] } },
  });

  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await page.goto(`http://${origin}/`);
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  await stream?.close();
  await wide?.close();
  if (http) await closeServer(http);
  if (work) rmSync(work, { recursive: true, force: true });
});

const painted = () => page.$eval('[data-testid="stream-canvas"]', (c) => Number((c as HTMLElement).dataset.framesPainted ?? 0));
const box = (selector: string) =>
  page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) };
  });

/** Mean brightness (0-255) of a page region, from a screenshot. */
async function brightness(clip: { x: number; y: number; width: number; height: number }): Promise<number> {
  const png = await page.screenshot({ clip });
  const { channels } = await sharp(png).stats();
  return (channels[0]!.mean + channels[1]!.mean + channels[2]!.mean) / 3;
}

describe("README's React example, pasted into a Vite app without Tailwind", () => {
  it('fills the window with a canvas that paints frames', async () => {
    await expect.poll(painted, { timeout: 20_000 }).toBeGreaterThanOrEqual(5);
    expect(await box('.fs-canvas')).toEqual({ x: 0, y: 0, width: 1280, height: 800 });
    const backing = await page.$eval('[data-testid="stream-canvas"]', (c) => (c as HTMLElement).dataset.backingSize);
    expect(backing).toBe('1280x800');
    // Noise, not black: the frames reach the screen.
    expect(await brightness({ x: 400, y: 500, width: 400, height: 200 })).toBeGreaterThan(40);
    expect(pageErrors).toEqual([]);
  });

  it('shows the panel at its intended size, with small icons', async () => {
    expect(await page.getByRole('status').textContent()).toBe('Connected');
    const panel = await box('[data-testid="framestream-controls"]');
    expect(panel).toMatchObject({ x: 16, y: 16, width: 288 });
    expect(panel.height).toBeGreaterThan(150);
    expect(panel.height).toBeLessThan(320);
    expect(await box('[data-testid="settings-button"] svg')).toMatchObject({ width: 20, height: 20 });
    expect(await box('[data-testid="controls-handle"] svg')).toMatchObject({ width: 10, height: 16 });
    expect(await box('[data-testid="connect-button"]')).toMatchObject({ height: 36 });
    const look = await page.$eval('[data-testid="framestream-controls"]', (el) => {
      const s = getComputedStyle(el);
      return { position: s.position, color: s.color, fontSize: s.fontSize };
    });
    expect(look).toEqual({ position: 'fixed', color: 'rgb(181, 204, 154)', fontSize: '14px' });
  });

  it('leaves the rest of the page as the browser styles it', async () => {
    const body = await page.evaluate(() => {
      const s = getComputedStyle(document.body);
      return { margin: s.margin, fontSize: s.fontSize, color: s.color, boxSizing: s.boxSizing };
    });
    expect(body).toEqual({ margin: '8px', fontSize: '16px', color: 'rgb(0, 0, 0)', boxSizing: 'content-box' });
  });

  it('applies the fit chosen in the settings to the canvas', async () => {
    // 512×512 frames in a 1280×800 window: contain leaves black bars at the sides.
    const leftEdge = { x: 20, y: 500, width: 100, height: 200 };
    expect(await brightness(leftEdge)).toBeGreaterThan(40);
    await page.getByRole('button', { name: 'Settings' }).click();
    const panel = await box('[data-testid="settings-panel"]');
    expect(panel.width).toBe(256);
    await page.getByRole('radio', { name: 'contain' }).click();
    await expect.poll(() => page.$eval('.fs-canvas', (el) => (el as HTMLElement).dataset.fit)).toBe('contain');
    await expect.poll(() => brightness(leftEdge), { timeout: 5_000 }).toBeLessThan(2);
  });

  it('applies the FPS cap chosen in the settings to the stream', async () => {
    const fps = () => page.$eval('[data-testid="metric-fps"]', (el) => Number((el as HTMLElement).dataset.value));
    await expect.poll(fps, { timeout: 10_000 }).toBeGreaterThan(20);
    await page.getByTestId('max-fps-button').click();
    await page.getByRole('option', { name: '5 fps', exact: true }).click();
    expect(await page.getByTestId('max-fps-button').textContent()).toContain('5 fps');
    await expect.poll(fps, { timeout: 15_000, interval: 500 }).toBeLessThan(7);
  });

  it('shows no live figures after Disconnect', async () => {
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Disconnected');
    for (const id of ['metric-fps', 'metric-latency', 'metric-latency-p95', 'metric-frame-size']) {
      expect([id, await page.getByTestId(id).textContent()]).toEqual([id, '—']);
    }
    expect(pageErrors).toEqual([]);
  });
});

describe('StreamCanvas in a container with no height', () => {
  it('is square before the first frame', async () => {
    const other = await chromium.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await other.goto(`http://${origin}/aspect.html#idle`);
    await other.waitForSelector('[data-testid="stream-canvas"]');
    const size = await other.$eval('.fs-canvas', (el) => [el.clientWidth, el.clientHeight]);
    expect(size).toEqual([640, 640]);
    await other.close();
  });

  it("takes the frames' aspect once they paint", async () => {
    const other = await chromium.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await other.goto(`http://${origin}/aspect.html`);
    const framesPainted = () =>
      other.$eval('[data-testid="stream-canvas"]', (c) => Number((c as HTMLElement).dataset.framesPainted ?? 0)).catch(() => 0);
    await expect.poll(framesPainted, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => other.$eval('.fs-canvas', (el) => [el.clientWidth, el.clientHeight])).toEqual([640, 360]);
    await other.close();
  });
});
