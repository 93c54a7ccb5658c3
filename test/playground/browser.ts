import type { Browser, BrowserContext, Page, Worker } from 'playwright-core';
import { canvasCounter, collectPageErrors, waitFor } from './support.js';

/** One page of the playground with everything a test needs to look at it. */
export interface PlaygroundPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  /** Web workers of the page still running (StreamCanvas paints in one where it can). */
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * Opens the playground at `url` in a fresh context (1280x720 unless
 * `viewport` says otherwise) and waits for its canvas. `initScript` runs
 * before any page script, in the page and in every worker the page starts
 * (awaited, so before any frame can arrive).
 */
export async function openPlayground(
  browser: Browser,
  url: string,
  { initScript, viewport = { width: 1280, height: 720 } }: { initScript?: () => void; viewport?: { width: number; height: number } } = {},
): Promise<PlaygroundPage> {
  const context = await browser.newContext({ viewport });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const workers: Worker[] = [];
  const instrumented: Promise<unknown>[] = [];
  page.on('worker', (worker) => {
    // Strict Mode mounts twice, so the first canvas's worker comes and goes.
    workers.push(worker);
    worker.once('close', () => workers.splice(workers.indexOf(worker), 1));
    if (initScript) instrumented.push(worker.evaluate(initScript).catch(() => {}));
  });
  await page.goto(url);
  await page.getByTestId('stream-canvas').waitFor({ timeout: 20_000 });
  await Promise.all(instrumented);
  return { page, context, errors, workers, close: () => context.close() };
}

/** The status text the panel's indicator shows, e.g. `'connected'`. */
export function status(page: Page): Promise<string | null> {
  return page.getByTestId('status-indicator').getAttribute('data-status');
}

/** Waits until the indicator shows `wanted`. */
export async function waitForStatus(page: Page, wanted: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await status(page)) === wanted, `status ${wanted}`, { timeoutMs });
}

/** The FPS the panel shows, as a number. */
export async function shownFps(page: Page): Promise<number> {
  return Number(await page.getByTestId('metric-fps').getAttribute('data-value'));
}

/** Frames painted so far, from the counter StreamCanvas mirrors on the canvas. */
export function framesPainted(page: Page): Promise<number> {
  return canvasCounter(page, 'frames-painted');
}

/** Waits until at least `more` further frames have been painted. */
export async function waitForMoreFrames(page: Page, more: number, timeoutMs = 20_000): Promise<number> {
  const start = await framesPainted(page);
  return waitFor(
    async () => {
      const now = await framesPainted(page);
      return now >= start + more ? now : 0;
    },
    `${more} more painted frames (from ${start})`,
    { timeoutMs },
  );
}

/** Clicks Connect and waits for frames to be painted. */
export async function connectAndWaitForFrames(page: Page): Promise<void> {
  await page.getByTestId('connect-button').click();
  await waitForStatus(page, 'connected');
  await waitForMoreFrames(page, 5);
}

/**
 * Waits until the shown FPS stays within [`min`, `max`] for `steady`
 * consecutive readings a second apart (the meter's window), and returns them.
 * One reading alone can catch a window that a GC pause or a busy neighbour
 * on a shared machine skewed; a steady run cannot.
 */
export async function waitForSteadyFps(
  page: Page,
  min: number,
  max: number,
  { steady = 3, timeoutMs = 60_000 } = {},
): Promise<number[]> {
  const readings: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    readings.push(await shownFps(page));
    const run = readings.slice(-steady);
    if (run.length === steady && run.every((fps) => fps >= min && fps <= max)) return run;
    await page.waitForTimeout(1000);
  }
  throw new Error(`The shown FPS never stayed in [${min}, ${max}]; readings: ${readings.map((f) => f.toFixed(1)).join(', ')}`);
}
