import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';

/** Where `npm run build-storybook` writes the static Storybook. */
export const STORYBOOK_DIR = resolve(import.meta.dirname, '../../../storybook-static');

export interface StoryEntry {
  id: string;
  title: string;
  name: string;
  tags: string[];
}

/** Every story in the static build, from its index.json. Throws if it was not built. */
export function readStories(): StoryEntry[] {
  const index = resolve(STORYBOOK_DIR, 'index.json');
  if (!existsSync(index)) {
    throw new Error(`${index} is missing: run \`npm run build-storybook\` (npm test's pretest does)`);
  }
  const { entries } = JSON.parse(readFileSync(index, 'utf8')) as {
    entries: Record<string, StoryEntry & { type: string }>;
  };
  return Object.values(entries).filter((e) => e.type === 'story');
}

export interface StoryPage {
  page: Page;
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
  close(): Promise<void>;
}

/** Opens one story on its own page (the preview iframe, without the manager UI) and waits for it to render. */
export async function openStory(
  browser: Browser,
  baseUrl: string,
  id: string,
  viewport = { width: 1000, height: 640 },
  deviceScaleFactor = 1,
): Promise<StoryPage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(`${baseUrl}/iframe.html?id=${encodeURIComponent(id)}&viewMode=story`);
  await page.waitForFunction(() => (document.querySelector('#storybook-root')?.children.length ?? 0) > 0, null, {
    timeout: 30_000,
  });
  return { page, errors, close: () => context.close() };
}

export interface ManagerPage extends StoryPage {
  /** The story's preview iframe inside the manager. */
  preview: FrameLocator;
}

/**
 * Opens Storybook's own UI (the manager: sidebar, toolbar, Controls tab) as a
 * user does, at `path` (e.g. `/story/controls--connected`) or, without one,
 * wherever Storybook chooses to start. Errors are those of the manager page.
 */
export async function openManager(browser: Browser, baseUrl: string, path?: string): Promise<ManagerPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(path ? `${baseUrl}/?path=${path}` : `${baseUrl}/`);
  const preview = page.frameLocator('#storybook-preview-iframe');
  await preview.locator('#storybook-root > *').first().waitFor({ timeout: 30_000 });
  return { page, preview, errors, close: () => context.close() };
}

/** Reads one of StreamCanvas's `data-*` counters (e.g. `frames-painted`). */
export async function canvasData(page: Page, name: string): Promise<string | null> {
  return page.evaluate((attr) => document.querySelector('canvas')?.getAttribute(`data-${attr}`) ?? null, name);
}

export async function canvasCount(page: Page, name: string): Promise<number> {
  return Number((await canvasData(page, name)) ?? 0);
}

/** Waits until a StreamCanvas counter reaches `atLeast`. */
export async function waitForCount(page: Page, name: string, atLeast: number, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    ([attr, n]) => Number(document.querySelector('canvas')?.getAttribute(`data-${attr}`) ?? 0) >= (n as number),
    [name, atLeast] as const,
    { timeout, polling: 50 },
  );
}

/** Mean brightness (0-255) of a screenshot region, from real composited pixels. */
export async function brightness(page: Page, clip: { x: number; y: number; width: number; height: number }) {
  const png = await page.screenshot({ clip });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return sum / (info.width * info.height * info.channels);
}

/** A screenshot region's raw RGB bytes, to compare two moments. */
export async function pixels(page: Page, clip: { x: number; y: number; width: number; height: number }) {
  const png = await page.screenshot({ clip });
  return sharp(png).removeAlpha().raw().toBuffer();
}
