import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import sharp from 'sharp';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_SCRIPT = fileURLToPath(new URL('../../playground/server.mjs', import.meta.url));

/**
 * The e2e tests run what `npm start` runs: the built package and the built
 * playground. Say how to get them rather than failing on a missing import.
 */
export function assertBuilt(): void {
  const missing = ['dist/server/index.js', 'playground/dist/index.html'].filter(
    (file) => !existsSync(new URL(`../../${file}`, import.meta.url)),
  );
  if (missing.length > 0) {
    throw new Error(`Missing ${missing.join(', ')}: run \`npx tsup && npm run build:playground\` first`);
  }
}

export interface PlaygroundProcess {
  /** `http://localhost:<port>` as the server printed it. */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the server wrote to stdout and stderr. */
  output(): string;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node playground/server.mjs` (what `npm start` runs after building)
 * and resolves once it prints its URL. `port` 0 lets the OS choose.
 */
export function startPlayground(
  options: { port?: number; env?: Record<string, string> } = {},
): Promise<PlaygroundProcess> {
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    cwd: REPO,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(options.port ?? 0), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /framestream playground: (http:\/\/localhost:(\d+))/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (more: Buffer) => (output += more.toString()));
        resolve({ url: match[1]!, port: Number(match[2]), child, output: () => output, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`playground server exited with ${code} before listening:\n${output}`)));
  });
}

/** Polls `check` until it returns a truthy value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`Timed out waiting for ${what} (last: ${JSON.stringify(last)}; ${String(lastError ?? '')})`);
}

/** Collects console errors and uncaught page errors, which every test expects to stay empty. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return errors;
}

/** A numeric counter StreamCanvas mirrors on its `<canvas>` as `data-*`. */
export async function canvasCounter(page: Page, name: string): Promise<number> {
  const value = await page.locator('canvas').first().getAttribute(`data-${name}`);
  return Number(value ?? 0);
}

export interface CanvasSample {
  /** Fraction of sampled pixels that are not black. */
  nonBlack: number;
  /** Raw RGB pixels of the downscaled screenshot, to compare two samples. */
  pixels: Buffer;
}

// The panels float over the canvas; hidden for the shot so only frames count.
export const HIDE_OVERLAYS = '[data-testid="framestream-controls"], [data-testid="source-picker"] { visibility: hidden !important; }';

/**
 * What the canvas shows, read the way a user sees it: a screenshot of the
 * element, decoded with sharp. (A canvas handed to a worker as an
 * OffscreenCanvas cannot be read back from the page.)
 */
export async function sampleCanvas(page: Page): Promise<CanvasSample> {
  const png = await page.locator('canvas').first().screenshot({ animations: 'allow', style: HIDE_OVERLAYS });
  const pixels = await sharp(png).resize(64, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  let nonBlack = 0;
  for (let i = 0; i < pixels.length; i += 3) {
    if (pixels[i]! + pixels[i + 1]! + pixels[i + 2]! > 24) nonBlack++;
  }
  return { nonBlack: nonBlack / (pixels.length / 3), pixels };
}

/** Mean absolute difference per channel between two samples, 0-255. */
export function pixelDifference(a: CanvasSample, b: CanvasSample): number {
  let sum = 0;
  for (let i = 0; i < a.pixels.length; i++) sum += Math.abs(a.pixels[i]! - b.pixels[i]!);
  return sum / a.pixels.length;
}
