import type { Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, listen } from '../support/net.js';
import { createStaticServer } from './support/static-server.js';
import { STORYBOOK_DIR, openStory, readStories, type StoryPage } from './support/story-page.js';

// The camera and session stories of the static Storybook build, in real
// Chromium: each shows the state it is named after (no real camera: the
// stories fake getUserMedia; test/react/camera.browser.test.ts uses the
// browser's fake camera).
const stories = readStories();

// Each test opens a story in Chromium: on a loaded shared machine that
// alone can take seconds, so they get the Storybook tests' minute.
describe('Storybook: camera and session stories', { timeout: 60_000 }, () => {
  let server: Server;
  let chromium: LaunchedBrowser;
  let base: string;
  const open: StoryPage[] = [];

  beforeAll(async () => {
    server = createStaticServer(STORYBOOK_DIR);
    const [port, launched] = await Promise.all([listen(server), launchChromium()]);
    chromium = launched;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const view of open) await view.close();
    await chromium?.close();
    if (server) await closeServer(server);
  });

  async function story(id: string): Promise<Page> {
    const view = await openStory(chromium.browser, base, id);
    open.push(view);
    return view.page;
  }

  const framesSent = async (page: Page) => Number((await page.getByTestId('frames-sent').textContent())!.replace(/\D+/g, ''));

  it('has a story per camera state and per session state', () => {
    const names = (title: string) => stories.filter((s) => s.title === title).map((s) => s.name);
    expect(names('CameraInput')).toEqual(expect.arrayContaining(['Asking', 'Denied', 'No camera', 'Running', 'Paused']));
    expect(names('Controls in a session')).toEqual(expect.arrayContaining(['Queued', 'Interactive', 'Session ended']));
  });

  it.each([
    ['camerainput--asking', 'asking', 'Allow the camera…'],
    ['camerainput--denied', 'denied', 'Camera blocked'],
    ['camerainput--no-camera', 'no-camera', 'No camera found'],
  ])('%s shows the %s state', async (id, state, text) => {
    const page = await story(id);
    await expect.poll(() => page.getByTestId('camera-input').getAttribute('data-state')).toBe(state);
    expect(await page.getByTestId('camera-state').textContent()).toBe(text);
    expect(await page.getByTestId('camera-preview').isVisible()).toBe(false);
  });

  it('camerainput--running shows the camera and sends its frames', async () => {
    const page = await story('camerainput--running');
    await expect.poll(() => page.getByTestId('camera-input').getAttribute('data-sending'), { timeout: 15_000 }).toBe('true');
    // The story's camera (a 640×480 canvas) in the preview, at whatever size the track was asked for.
    await expect.poll(() => page.getByTestId('camera-preview').evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => framesSent(page), { timeout: 10_000 }).toBeGreaterThan(5);
  });

  it('camerainput--paused shows the camera paused, sends nothing, and sends after Resume', async () => {
    const page = await story('camerainput--paused');
    await expect.poll(() => page.getByTestId('camera-input').getAttribute('data-state'), { timeout: 15_000 }).toBe('paused');
    await page.waitForTimeout(1500);
    expect(await framesSent(page)).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => framesSent(page), { timeout: 10_000 }).toBeGreaterThan(3);
  });

  it('controls-in-a-session--queued shows the place in line', async () => {
    const page = await story('controls-in-a-session--queued');
    await expect.poll(() => page.getByTestId('session-queue').textContent(), { timeout: 10_000 }).toBe('Queued: 2nd in line');
    expect(await page.getByTestId('status-indicator').textContent()).toBe('Queued');
    expect(await page.getByRole('button', { name: 'Disconnect' }).isEnabled()).toBe(true);
  });

  it('controls-in-a-session--interactive shows the round trip, the time left, and sends the prompt', async () => {
    const page = await story('controls-in-a-session--interactive');
    await expect
      .poll(() => page.getByTestId('metric-round-trip').getAttribute('data-value'), { timeout: 10_000 })
      .toMatch(/^\d+(\.\d+)?$/);
    expect(await page.getByTestId('session-time-left').textContent()).toMatch(/^[12]:\d\d left$/);
    await expect.poll(() => page.getByTestId('params-sent').textContent()).toContain('a watercolour portrait');
    await page.getByLabel('Prompt').fill('neon city at night');
    await expect.poll(() => page.getByTestId('params-sent').textContent(), { timeout: 5_000 }).toContain('neon city at night');
  });

  it('controls-in-a-session--session-ended says why, and offers a new session', async () => {
    const page = await story('controls-in-a-session--session-ended');
    await expect.poll(() => page.getByTestId('session-reason').textContent(), { timeout: 10_000 }).toBe('Session time limit (120 s) reached');
    expect(await page.getByRole('button', { name: 'New session' }).isEnabled()).toBe(true);
    expect(await page.getByTestId('failure').count()).toBe(0);
  });
});
