import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { looksLikeJpeg } from '../../src/protocol/index.js';
import { assertBuilt, waitFor } from './support.js';

const CONFIG = fileURLToPath(new URL('../../playground/vite.config.ts', import.meta.url));

// `vite preview` of the built playground: the plugin's configurePreviewServer.
describe('vite preview (framestream/vite)', () => {
  let server: PreviewServer;
  let base: string;

  beforeAll(async () => {
    assertBuilt();
    server = await preview({
      configFile: CONFIG,
      logLevel: 'silent',
      preview: { port: 0, host: '127.0.0.1', strictPort: true, open: false },
    });
    base = `127.0.0.1:${(server.httpServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the built page and a snapshot of the stream', async () => {
    const page = await fetch(`http://${base}/`);
    expect(await page.text()).toContain('<div id="root"></div>');
    const snapshot = await fetch(`http://${base}/test/random`);
    expect(snapshot.headers.get('content-type')).toBe('image/jpeg');
    expect(looksLikeJpeg(new Uint8Array(await snapshot.arrayBuffer()))).toBe(true);
  });

  it('streams JPEG frames on the stream path and detaches when the server closes', async () => {
    const ws = new WebSocket(`ws://${base}/ws/pattern/`);
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data));
      ws.once('error', reject);
    });
    expect(looksLikeJpeg(first)).toBe(true);
    const httpServer = server.httpServer;
    expect(httpServer.listenerCount('upgrade')).toBe(1);
    await server.close();
    await waitFor(() => httpServer.listenerCount('upgrade') === 0, 'the stream to detach');
    await waitFor(() => ws.readyState === WebSocket.CLOSED, 'the viewer to be disconnected');
  });
});
