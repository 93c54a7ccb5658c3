// The browser sub-figure of figure 9: headless Chromium with its fake camera
// (a generated test pattern) runs bench/browser/interactive-page.jsx, the
// package's CameraInput and StreamCanvas on one session of the interactive
// server, and reports capture → painted output per answered input frame.
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from './chromium.mjs';
import { INTERACTIVE_PATHS } from './interactive.mjs';
import { quantile } from './stats.mjs';

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// bench/lib/chromium.mjs's flags, plus Chromium's fake camera, granted
// without a prompt.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

async function bundlePage() {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(BENCH_DIR, 'browser', 'interactive-page.jsx')],
    bundle: true,
    write: false,
    format: 'esm',
    jsx: 'automatic',
    minify: process.env.BENCH_DEBUG_PAGE === undefined,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

async function servePage(script) {
  const html = '<!doctype html><meta charset="utf-8"><title>bench</title><body style="margin:0;background:#000"><div id="root"></div><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    if (path === '/page.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/**
 * One page per client thread (`auto`, the default worker client, then
 * `main`), one session each on `path`: `warmupS` after the first answered
 * frame, then the paints of `seconds`.
 * @param {{ port: number, path?: string, warmupS: number, seconds: number }} o
 * @returns {Promise<{ auto: any, main: any }>}
 */
export async function measureBrowser(o) {
  let pages;
  let browser;
  const out = {};
  try {
    pages = await servePage(await bundlePage());
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS });
    for (const thread of ['auto', 'main']) out[thread] = await measurePage(browser, pages.port, thread, o);
  } catch (err) {
    for (const thread of ['auto', 'main']) out[thread] ??= { measured: false, reason: `failed: ${String(err?.message ?? err)}` };
  } finally {
    await browser?.close().catch(() => {});
    await pages?.close();
  }
  return out;
}

async function measurePage(browser, pagePort, thread, o) {
  let context;
  try {
    context = await browser.newContext({ viewport: { width: 800, height: 560 }, permissions: ['camera'] });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e?.stack ?? e?.message ?? e)));
    const ws = `ws://127.0.0.1:${o.port}${o.path ?? INTERACTIVE_PATHS.framestream}`;
    await page.goto(`http://127.0.0.1:${pagePort}/?thread=${thread}&ws=${encodeURIComponent(ws)}`);
    const read = () => page.evaluate(() => ({ ...window.__probe, trips: window.__probe.trips.length }));
    const deadline = Date.now() + 30_000;
    let p = await read();
    while (p.answered === 0 || p.painted === 0) {
      if (Date.now() > deadline)
        throw new Error(`${thread} client: no answered frame painted within 30 s (camera ${p.camera}, client ${p.status}${errors.length ? `, page error: ${errors[0]}` : ''})`);
      await sleep(200);
      p = await read();
    }
    await sleep(o.warmupS * 1000);
    const start = await read();
    const from = start.trips;
    const t0 = performance.now();
    await sleep(o.seconds * 1000);
    const end = await page.evaluate(() => ({ trips: window.__probe.trips, received: window.__probe.received, camera: window.__probe.camera, answered: window.__probe.answered }));
    const seconds = (performance.now() - t0) / 1000;
    const trips = end.trips.slice(from);
    const received = end.received.slice(from);
    return {
      measured: true,
      thread,
      chromium: browser.version(),
      frames: trips.length,
      answered: end.answered - start.answered,
      seconds,
      fps: trips.length / seconds,
      p50: quantile(trips, 0.5),
      p99: quantile(trips, 0.99),
      receivedP50: quantile(received, 0.5),
      camera: end.camera,
      pageErrors: errors.length,
    };
  } catch (err) {
    return { measured: false, thread, reason: `failed: ${String(err?.message ?? err)}` };
  } finally {
    // The page's socket closes with it, which ends its session.
    await context?.close().catch(() => {});
  }
}
