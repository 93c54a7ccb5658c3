import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/children.mjs';
import { launchChromium } from '../lib/chromium.mjs';
import { quantile } from '../lib/stats.mjs';

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Bundles the framestream page (React + the built framestream/react) in memory. */
async function bundleFramestreamPage() {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(BENCH_DIR, 'browser', 'framestream-page.jsx')],
    bundle: true,
    write: false,
    format: 'esm',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

function html(script) {
  return `<!doctype html><meta charset="utf-8"><title>bench</title><body style="margin:0;background:#000"><div id="root"></div><script type="module" src="${script}"></script>`;
}

/** Serves the three pages and their scripts on an ephemeral loopback port. */
async function startPageServer() {
  const files = {
    '/receive.html': ['text/html', html('/receive.js')],
    '/receive.js': ['text/javascript', readFileSync(join(BENCH_DIR, 'browser', 'receive-page.js'), 'utf8')],
    '/plain.html': ['text/html', html('/plain.js')],
    '/plain.js': ['text/javascript', readFileSync(join(BENCH_DIR, 'browser', 'plain-page.js'), 'utf8')],
    '/framestream.html': ['text/html', html('/framestream.js')],
    '/framestream.js': ['text/javascript', await bundleFramestreamPage()],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, 'http://x').pathname];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Main-thread busy time per displayed frame from a Chrome trace: top-level
 * tasks on the page's renderer main thread, summed over each interval between
 * consecutive `fs-frame` marks (one per paint). Nested top-level events are
 * counted once.
 */
export function mainThreadPerFrame(trace) {
  const events = trace.traceEvents ?? trace;
  const marks = events.filter((e) => e.name === 'fs-frame' && String(e.cat).includes('blink.user_timing'));
  if (marks.length < 3) return [];
  const { pid, tid } = marks[0];
  const times = marks.map((m) => m.ts).sort((a, b) => a - b);
  const tasks = events
    .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && String(e.cat).split(',').includes('toplevel'))
    .sort((a, b) => a.ts - b.ts);
  const perFrame = new Array(times.length - 1).fill(0);
  let coveredUntil = -Infinity;
  let k = 0;
  for (const t of tasks) {
    if (t.ts + (t.dur ?? 0) <= coveredUntil) continue;
    const start = Math.max(t.ts, coveredUntil);
    const end = t.ts + (t.dur ?? 0);
    coveredUntil = end;
    while (k < times.length - 1 && start >= times[k + 1]) k++;
    if (start < times[0] || k >= times.length - 1) continue;
    perFrame[k] += (end - start) / 1000;
  }
  return perFrame;
}

async function measureVariant(browser, pagePort, wsPort, variant, frames, log) {
  const page = await browser.newPage({ viewport: { width: 600, height: 600 } });
  try {
    const wsUrl = `ws://127.0.0.1:${wsPort}/stream`;
    await page.goto(`http://127.0.0.1:${pagePort}/${variant}.html?ws=${encodeURIComponent(wsUrl)}`);
    // Progress is counted in frames the page received, not painted: a tab
    // that paints fewer frames is measured over the same stretch of stream
    // instead of stretching the run.
    const received = () => page.evaluate(() => window.__probe?.received ?? 0);
    const waitFor = async (n, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while ((await received()) < n) {
        if (Date.now() > deadline) throw new Error(`${variant}: only ${await received()} of ${n} frames received in ${timeoutMs} ms`);
        await sleep(200);
      }
    };
    const warmup = Math.min(30, Math.floor(frames / 4));
    const budgetMs = (frames / 30) * 3000 + 30_000;
    await waitFor(warmup, 30_000);
    const start = await page.evaluate(() => ({ painted: window.__probe.painted, at: performance.now(), ages: window.__probe.ages.length }));
    // Trace a slice in the middle of the run; tracing every frame of a
    // 100-second run would make a trace too large to parse quickly.
    await waitFor(Math.floor(frames / 3), budgetMs);
    const traceS = Math.min(5, Math.max(1, frames / 30 / 6));
    await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing', '__metadata'] });
    await sleep(traceS * 1000);
    const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
    await waitFor(frames, budgetMs);
    const end = await page.evaluate(() => {
      const p = window.__probe;
      return {
        received: p.received,
        painted: p.painted,
        at: performance.now(),
        ages: p.ages,
        liveBitmaps: p.liveBitmaps,
        maxLiveBitmaps: p.maxLiveBitmaps,
        thread: p.thread,
        dropped: p.dropped ?? 0,
        heap: performance.memory?.usedJSHeapSize ?? null,
      };
    });
    const ages = end.ages.slice(start.ages);
    const mainThread = mainThreadPerFrame(trace);
    const result = {
      frames: end.received,
      painted: end.painted,
      displayedFps: ((end.painted - start.painted) * 1000) / (end.at - start.at),
      mainThreadP50: quantile(mainThread, 0.5),
      mainThreadP99: quantile(mainThread, 0.99),
      mainThreadSamples: mainThread.length,
      ageP50: quantile(ages, 0.5),
      ageP99: quantile(ages, 0.99),
      liveBitmaps: { max: end.maxLiveBitmaps, end: end.liveBitmaps },
      thread: end.thread,
      dropped: end.dropped,
      heapMB: end.heap === null ? null : end.heap / 2 ** 20,
      error: null,
    };
    log(
      `  ${variant.padEnd(11)} ${result.displayedFps.toFixed(1)} fps, main thread p50 ${result.mainThreadP50?.toFixed(2)} ms/frame, ` +
        `age p50 ${result.ageP50?.toFixed(1)} / p99 ${result.ageP99?.toFixed(1)} ms, live bitmaps max ${end.maxLiveBitmaps}`,
    );
    return result;
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * Figure 6. One framestream server streams noise; headless Chromium watches
 * it first with the original app's plain page, then with the package's
 * StreamCanvas, each for `frames` painted frames.
 * @param {{ frames: number, log: (s: string) => void }} config
 */
export async function runBrowser(config) {
  const results = { framestreamVariant: 'the package’s `useFrameStream` + `StreamCanvas` (dist/react, bundled with esbuild)' };
  let server;
  let pages;
  let chromium;
  try {
    server = await startServer('framestream');
    pages = await startPageServer();
    chromium = await launchChromium();
    results.chromium = chromium.browser.version();
    for (const variant of ['receive', 'plain', 'framestream']) {
      try {
        results[variant] = await measureVariant(chromium.browser, pages.port, server.port, variant, config.frames, config.log);
      } catch (err) {
        results[variant] = { error: String(err?.message ?? err) };
        config.log(`  ${variant}: ${results[variant].error}`);
      }
    }
  } catch (err) {
    for (const v of ['receive', 'plain', 'framestream']) results[v] ??= { error: String(err?.message ?? err) };
    config.log(`  browser: ${String(err?.message ?? err)}`);
  } finally {
    await chromium?.close();
    await pages?.close();
    await server?.stop();
  }
  return results;
}
