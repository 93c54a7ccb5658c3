import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { looksLikeJpeg } from '../../src/protocol/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { connectAndWaitForFrames, openPlayground, waitForMoreFrames } from './browser.js';
import { waitFor } from './support.js';

const CONFIG = fileURLToPath(new URL('../../playground/vite.config.ts', import.meta.url));

/** Opens a WebSocket and resolves once it is open, with its first message. */
function openSocket(url: string, protocols?: string) {
  return new Promise<{ ws: WebSocket; first: Promise<{ data: Buffer; isBinary: boolean }> }>((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const first = new Promise<{ data: Buffer; isBinary: boolean }>((res) =>
      ws.once('message', (data: Buffer, isBinary) => res({ data, isBinary })),
    );
    ws.once('open', () => resolve({ ws, first }));
    ws.once('error', reject);
  });
}

// `npm run dev`: the same config the command uses, started through Vite's API
// on an ephemeral port.
describe('npm run dev (framestream/vite)', { timeout: 120_000 }, () => {
  let vite: ViteDevServer;
  let base: string;

  beforeAll(async () => {
    vite = await createServer({
      configFile: CONFIG,
      logLevel: 'silent',
      server: { port: 0, host: '127.0.0.1', strictPort: true },
    });
    await vite.listen();
    base = `127.0.0.1:${(vite.httpServer!.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await vite?.close();
  });

  it('serves the page through Vite with its HMR client', async () => {
    const res = await fetch(`http://${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/@vite/client');
  });

  it('serves the stream on its own path to a plain WebSocket client', async () => {
    const { ws, first } = await openSocket(`ws://${base}/ws/test/`);
    const { data, isBinary } = await first;
    ws.close();
    expect(isBinary).toBe(true);
    expect(looksLikeJpeg(data)).toBe(true);
  });

  it('serves snapshots through Vite\'s middleware', async () => {
    const res = await fetch(`http://${base}/test/pattern`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(looksLikeJpeg(new Uint8Array(await res.arrayBuffer()))).toBe(true);
  });

  it('leaves the HMR socket working beside the stream', async () => {
    const stream = await openSocket(`ws://${base}/ws/test/`);
    const hmr = await openSocket(`ws://${base}/`, 'vite-hmr');
    const { data, isBinary } = await hmr.first;
    expect(hmr.ws.protocol).toBe('vite-hmr');
    expect(isBinary).toBe(false);
    expect(JSON.parse(data.toString())).toMatchObject({ type: 'connected' });
    // And HMR really talks over it: a server-sent event arrives.
    const next = new Promise<string>((resolve) => hmr.ws.once('message', (d: Buffer) => resolve(d.toString())));
    vite.ws.send({ type: 'custom', event: 'framestream:test', data: { ok: true } });
    expect(JSON.parse(await next)).toMatchObject({ type: 'custom', event: 'framestream:test' });
    expect(looksLikeJpeg((await stream.first).data)).toBe(true);
    hmr.ws.close();
    stream.ws.close();
  });

  it('paints frames in the browser from the dev server', async () => {
    let chromium: LaunchedBrowser | undefined;
    try {
      chromium = await launchChromium();
      const view = await openPlayground(chromium.browser, `http://${base}/`);
      await connectAndWaitForFrames(view.page);
      await waitForMoreFrames(view.page, 10);
      await view.close();
      expect(view.errors).toEqual([]);
    } finally {
      await chromium?.close();
    }
  }, 150_000);

  it('detaches the streams from Vite\'s server when Vite closes', async () => {
    const httpServer = vite.httpServer!;
    // Vite's HMR listener, and the streams' one shared router.
    expect(httpServer.listenerCount('upgrade')).toBe(2);
    const { ws } = await openSocket(`ws://${base}/ws/pattern/`);
    await vite.close();
    await waitFor(() => httpServer.listenerCount('upgrade') === 0, 'every upgrade listener to be removed');
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 'the viewer to be disconnected');
  });
});
