// Takes the story screenshots in docs/screenshots/stories-*.png from the
// static Storybook build (`npm run build-storybook` first):
//
//   node stories/screenshots.mjs
//
// Serves storybook-static/ on a free loopback port and shoots each story in
// headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) once its
// canvas has painted, so live stories show real frames.
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../storybook-static/', import.meta.url));
const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };

// [file name, story id, what to do before the shot]
const SHOTS = [
  ['stories-playground-connected', 'playground--connected', 'frames'],
  ['stories-playground-settings', 'playground--connected', 'settings'],
  ['stories-playground-disconnected', 'playground--disconnected', null],
  ['stories-controls-connected', 'controls--connected', 'metrics'],
  ['stories-controls-reconnecting', 'controls--reconnecting', null],
  ['stories-controls-error', 'controls--error-state', null],
  ['stories-streamcanvas-contain', 'streamcanvas--connected-contain', 'frames'],
  ['stories-error-boundary', 'playground--render-error', null],
];

const server = createServer((req, res) => {
  let file = join(ROOT, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    statSync(file);
  } catch {
    return res.writeHead(404).end();
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
mkdirSync(OUT, { recursive: true });
try {
  for (const [name, id, action] of SHOTS) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
    await page.goto(`${base}/iframe.html?id=${id}&viewMode=story`);
    await page.waitForFunction(() => document.querySelector('#storybook-root')?.children.length > 0);
    if (action) {
      await page.waitForFunction(() => Number(document.querySelector('canvas')?.dataset.framesPainted ?? 0) >= 20 || !document.querySelector('canvas'), null, { timeout: 30_000 });
    }
    if (action === 'metrics' || action === 'settings' || action === 'frames') {
      // Let the once-a-second metrics fill in.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-fps"]')?.dataset.value ?? 1) > 0, null, { timeout: 30_000 });
      await page.waitForTimeout(1200);
    }
    if (action === 'settings') {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByTestId('max-fps-button').click();
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    await page.close();
    console.log(`docs/screenshots/${name}.png`);
  }
} finally {
  await browser.close();
  server.close();
}
