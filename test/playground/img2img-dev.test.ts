import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInputFrame, SUBPROTOCOL } from '../../src/protocol/index.js';
import { openViewer, waitFor } from '../server/helpers.js';

const CONFIG = fileURLToPath(new URL('../../playground/vite.config.ts', import.meta.url));

// `npm run dev` serves the img2img stream too, through framestream/vite, with
// the same model as `npm start`.
describe('npm run dev: the img2img stream', { timeout: 120_000 }, () => {
  let vite: ViteDevServer;
  let base: string;

  beforeAll(async () => {
    vite = await createServer({ configFile: CONFIG, logLevel: 'silent', server: { port: 0, host: '127.0.0.1', strictPort: true } });
    await vite.listen();
    base = `127.0.0.1:${(vite.httpServer!.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await vite?.close();
  });

  it('gives a viewer a session and answers its frame in the look of its prompt', async () => {
    const viewer = await openViewer(`ws://${base}/ws/img2img/`, SUBPROTOCOL);
    try {
      await waitFor(() => viewer.ofType('session').at(-1)?.state === 'active', 'an active session');
      // A session of the playground's: five minutes long.
      const { expiresAt } = viewer.ofType('session').at(-1) as { expiresAt: number };
      expect(expiresAt - Date.now()).toBeGreaterThan(4 * 60_000);

      const red = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 220, g: 30, b: 30 } } }).jpeg().toBuffer();
      viewer.ws.send(JSON.stringify({ type: 'params', params: { prompt: 'cold' } }));
      viewer.ws.send(encodeInputFrame({ seq: 1, captureTime: Date.now(), codec: 'jpeg' }, red));
      await waitFor(() => viewer.frames().length >= 1, 'an output frame');
      const [r, , b] = (await sharp(Buffer.from(viewer.frames()[0]!.payload)).stats()).channels.map((c) => c.mean);
      // Cold takes red away: 220 becomes about 150.
      expect(r).toBeLessThan(180);
      expect(r).toBeGreaterThan(100);
      expect(b).toBeLessThan(60);
    } finally {
      viewer.close();
    }
  });
});
