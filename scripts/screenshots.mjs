// Retakes every screenshot in docs/screenshots/ from the real thing: the
// built playground served by playground/server.mjs, and the static Storybook
// build. `npm run screenshots` builds all three first, then runs this:
//
//   node scripts/screenshots.mjs            # every shot
//   node scripts/screenshots.mjs stories    # only names containing "stories"
//
// Headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium), fixed
// viewports, the playground on its pattern source (not noise, which no
// compressor can shrink), and a wait for live figures before each shot, so
// two runs differ only in the moving frame and the figures. Each PNG is
// re-encoded with a 256-colour palette: the shots are flat UI over a
// gradient, and this keeps them at tens of kilobytes instead of hundreds.
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(REPO, 'docs/screenshots');
const STORYBOOK = join(REPO, 'storybook-static');
const only = process.argv[2] ?? '';

/** Starts playground/server.mjs on a free port; resolves with its URL. */
function startPlayground() {
  const child = spawn(process.execPath, [join(REPO, 'playground/server.mjs')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FRAMESTREAM_FPS: '30' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /framestream playground: (\S+)/.exec(out)?.[1];
      if (url) resolve({ url, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`playground/server.mjs exited with ${code}; run \`npm run build\` first`)));
  });
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };

/** Serves storybook-static/ on a free loopback port; resolves with its URL. */
function serveStorybook() {
  const server = createServer((req, res) => {
    let file = normalize(join(STORYBOOK, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!file.startsWith(STORYBOOK)) return res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, stop: () => server.close() })),
  );
}

/** Writes a screenshot as a palette PNG and says how big it came out. */
async function save(name, png) {
  const small = await sharp(png).png({ palette: true, colours: 256, effort: 10, compressionLevel: 9 }).toBuffer();
  writeFileSync(join(OUT, `${name}.png`), small);
  console.log(`docs/screenshots/${name}.png  ${(small.length / 1024).toFixed(0)} KB`);
}

/** A box grown by `pad` px on every side, kept inside the viewport. */
function padded(box, pad, viewport) {
  const x = Math.max(0, Math.floor(box.x - pad));
  const y = Math.max(0, Math.floor(box.y - pad));
  return {
    x,
    y,
    width: Math.min(viewport.width - x, Math.ceil(box.width + 2 * pad)),
    height: Math.min(viewport.height - y, Math.ceil(box.height + 2 * pad)),
  };
}

async function paintedFrames(page, atLeast) {
  await page.waitForFunction(
    (n) => Number(document.querySelector('canvas')?.dataset.framesPainted ?? 0) >= n,
    atLeast,
    { timeout: 30_000, polling: 100 },
  );
}

/** Waits until the panel shows a live FPS and latency, as a reader expects to see. */
async function liveFigures(page) {
  await page.waitForFunction(
    () =>
      Number(document.querySelector('[data-testid="metric-fps"]')?.dataset.value || 0) > 0 &&
      document.querySelector('[data-testid="metric-latency"]')?.dataset.value !== '',
    null,
    { timeout: 30_000, polling: 100 },
  );
}

// ---- the playground ----------------------------------------------------

const PLAYGROUND_SHOTS = [
  {
    // The page as it opens on the pattern, connected: the whole frame (contain),
    // the panel in the top-left, the source picker in the top-right.
    name: 'playground',
    viewport: { width: 1024, height: 640 },
  },
  {
    name: 'playground-settings',
    viewport: { width: 1024, height: 640 },
    async before(page) {
      await page.getByTestId('settings-button').click();
      await page.getByTestId('max-fps-button').click();
      await page.getByTestId('max-fps-option-30').hover();
    },
  },
  {
    // A phone in portrait: the source picker moves to the bottom edge.
    name: 'playground-phone',
    viewport: { width: 390, height: 844 },
  },
  {
    // The img2img view: Chromium's fake camera (a green picture with a
    // turning pacman and a clock) through the model, in the neon look.
    name: 'playground-img2img',
    viewport: { width: 1024, height: 640 },
    path: '/?view=img2img',
    async before(page) {
      await page.getByTestId('prompt-input').fill('neon');
      await page.getByTestId('prompt-input').press('Enter');
      await page.waitForTimeout(1500);
    },
  },
];

async function playgroundShots(browser) {
  const playground = await startPlayground();
  try {
    for (const shot of PLAYGROUND_SHOTS.filter((s) => s.name.includes(only))) {
      const context = await browser.newContext({ viewport: shot.viewport });
      const page = await context.newPage();
      await page.goto(`${playground.url}${shot.path ?? '/?source=pattern'}`);
      await page.getByTestId('connect-button').click();
      await paintedFrames(page, 60);
      await liveFigures(page);
      // The first second of a connection (the source starting, the page's
      // worker warming up) sits in the latency window for 120 frames; let it
      // pass, so p95 shows the stream and not its start.
      await page.waitForTimeout(4500);
      await shot.before?.(page);
      await page.waitForTimeout(300);
      await save(shot.name, await page.screenshot());
      await context.close();
    }
  } finally {
    playground.stop();
  }
}

// ---- the stories -------------------------------------------------------

const STORY_VIEWPORT = { width: 960, height: 600 };
const panel = (page) => page.getByTestId('framestream-controls').boundingBox();

const STORY_SHOTS = [
  { name: 'stories-playground-connected', id: 'playground--connected', live: true },
  {
    name: 'stories-playground-settings',
    id: 'playground--connected',
    live: true,
    async before(page) {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByTestId('max-fps-button').click();
    },
  },
  { name: 'stories-controls-connected', id: 'controls--connected', clip: panel },
  { name: 'stories-controls-capped', id: 'controls--connected-capped', clip: panel },
  { name: 'stories-controls-reconnecting', id: 'controls--reconnecting', clip: panel },
  { name: 'stories-controls-error', id: 'controls--error-state', clip: panel },
  { name: 'stories-controls-in-a-session-interactive', id: 'controls-in-a-session--interactive', live: true, clip: panel },
  {
    name: 'stories-camerainput-running',
    id: 'camerainput--running',
    // The camera is a canvas captured as a MediaStream; wait until its frames go.
    before: (page) => page.waitForSelector('[data-testid="camera-input"][data-sending="true"]'),
    clip: (page) => page.getByTestId('camera-input').boundingBox(),
  },
  { name: 'stories-streamcanvas-contain', id: 'streamcanvas--connected-contain', live: true, noPanel: true },
  { name: 'stories-error-boundary', id: 'playground--render-error', clip: (page) => page.getByRole('alert').boundingBox() },
];

/** The story's frame inside Storybook's manager page, once it has loaded. */
async function previewFrame(page) {
  const iframe = await page.waitForSelector('#storybook-preview-iframe');
  return iframe.contentFrame();
}

async function storyShots(browser) {
  const storybook = await serveStorybook();
  try {
    for (const shot of STORY_SHOTS.filter((s) => s.name.includes(only))) {
      const context = await browser.newContext({ viewport: STORY_VIEWPORT });
      const page = await context.newPage();
      await page.goto(`${storybook.url}/iframe.html?id=${shot.id}&viewMode=story`);
      await page.waitForFunction(() => (document.querySelector('#storybook-root')?.children.length ?? 0) > 0);
      if (shot.live) {
        await paintedFrames(page, 30);
        if (!shot.noPanel) await liveFigures(page);
      }
      await shot.before?.(page);
      await page.waitForTimeout(300);
      const clip = shot.clip ? padded(await shot.clip(page), 24, STORY_VIEWPORT) : undefined;
      await save(shot.name, await page.screenshot({ clip }));
      await context.close();
    }

    // Storybook itself, as it opens: the playground story and its controls.
    if ('stories-storybook'.includes(only)) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${storybook.url}/`);
      await liveFigures(await previewFrame(page));
      await page.waitForTimeout(300);
      await save('stories-storybook', await page.screenshot());
      await context.close();
    }
  } finally {
    storybook.stop();
  }
}

mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    // The img2img shot's camera: Chromium's own test picture, allowed without a prompt.
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ],
});
try {
  await playgroundShots(browser);
  await storyShots(browser);
} finally {
  await browser.close();
}
