// Takes the playground screenshots in docs/screenshots/ from the built
// playground (`npx tsup && npm run build:playground` first):
//
//   node playground/screenshots.mjs
//
// It starts server.mjs on a free port, connects in headless Chromium
// (CHROMIUM_PATH, default /usr/bin/chromium) and waits for the stream to
// settle before each shot, so the panel shows real figures.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

function startServer() {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /framestream playground: (\S+)/.exec(out)?.[1];
      if (url) resolve({ url, child });
    });
    child.once('exit', (code) => reject(new Error(`server.mjs exited with ${code}`)));
  });
}

async function settle(page, frames) {
  const painted = async () => Number(await page.getByTestId('stream-canvas').getAttribute('data-frames-painted'));
  const start = await painted();
  while ((await painted()) < start + frames) await page.waitForTimeout(100);
}

const { url, child } = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(url);
  await page.getByTestId('connect-button').click();
  await settle(page, 60);
  await page.getByTestId('settings-button').click();
  await page.getByTestId('max-fps-button').click();
  await page.getByTestId('max-fps-option-30').hover();
  await page.screenshot({ path: `${OUT}playground-settings.png` });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');

  // The pattern in `contain` shows the whole frame, counter included; the
  // panel is dragged to the bottom-left so it does not cover the counter.
  await page.getByTestId('source-pattern').click();
  await page.getByTestId('settings-button').click();
  await page.getByTestId('fit-contain').click();
  await page.keyboard.press('Escape');
  const grip = await page.getByTestId('controls-handle').boundingBox();
  await page.mouse.move(grip.x + 20, grip.y + grip.height / 2);
  await page.mouse.down();
  await page.mouse.move(grip.x + 20, 2000, { steps: 5 });
  await page.mouse.up();
  await settle(page, 90);
  await page.screenshot({ path: `${OUT}playground.png` });
  console.log(`wrote ${OUT}playground.png and playground-settings.png`);
} finally {
  await browser.close();
  child.kill('SIGTERM');
}
