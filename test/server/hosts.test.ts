import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { looksLikeJpeg, SUBPROTOCOL } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { decodeJpeg, openViewer, portOf, rawUpgradeStatus, TestViewer, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function track(stream: FrameStreamServer): FrameStreamServer {
  cleanups.push(() => stream.close());
  return stream;
}

async function hostWithStream(options: Partial<Parameters<typeof createFrameStreamServer>[0]> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = track(createFrameStreamServer({ server, ...options }));
  const port = await listen(server);
  return { server, stream, port };
}

async function viewer(url: string, protocol?: string): Promise<TestViewer> {
  const v = await openViewer(url, protocol);
  cleanups.push(() => v.close());
  return v;
}

/** Checks a stream on `port` answers its path with JPEG frames and its snapshot with a JPEG. */
async function expectStreaming(port: number, path = '/ws/test/', snapshot = '/test/random'): Promise<void> {
  const v = await viewer(`ws://127.0.0.1:${port}${path}`);
  await waitFor(() => v.binary.length >= 2, `two frames on ${path}`);
  expect(looksLikeJpeg(v.binary[0]!)).toBe(true);
  const res = await fetch(`http://127.0.0.1:${port}${snapshot}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/jpeg');
  expect(looksLikeJpeg(new Uint8Array(await res.arrayBuffer()))).toBe(true);
}

describe('createFrameStreamServer', () => {
  describe('on a plain http server', () => {
    it('streams 512×512 noise frames on /ws/test/ with and without the trailing slash', async () => {
      const { port } = await hostWithStream();
      for (const path of ['/ws/test/', '/ws/test', '/ws/test/?token=abc']) {
        const v = await viewer(`ws://127.0.0.1:${port}${path}`);
        await waitFor(() => v.binary.length >= 1, `a frame on ${path}`);
        const img = await decodeJpeg(v.binary[0]!);
        expect([img.width, img.height, img.channels]).toEqual([512, 512, 3]);
      }
    });

    it('sends a fresh random image every frame', async () => {
      const { port } = await hostWithStream();
      const v = await viewer(`ws://127.0.0.1:${port}/ws/test/`);
      await waitFor(() => v.binary.length >= 3, 'three frames');
      const [a, b] = await Promise.all([decodeJpeg(v.binary[1]!), decodeJpeg(v.binary[2]!)]);
      let differing = 0;
      for (let i = 0; i < a.data.length; i++) if (Math.abs(a.data[i]! - b.data[i]!) > 16) differing++;
      expect(differing / a.data.length).toBeGreaterThan(0.5);
    });

    it('serves the snapshot route as a JPEG with CORS and no caching', async () => {
      const { port } = await hostWithStream();
      const res = await fetch(`http://127.0.0.1:${port}/test/random`, { headers: { origin: 'http://elsewhere.test' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const img = await decodeJpeg(new Uint8Array(await res.arrayBuffer()));
      expect([img.width, img.height]).toEqual([512, 512]);
      const head = await fetch(`http://127.0.0.1:${port}/test/random`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    });

    it('snapshots the current frame while watched, and a fresh image each time when not', async () => {
      const { port } = await hostWithStream({ source: 'pattern', width: 64, height: 64 });
      const snapshot = async () => Buffer.from(await (await fetch(`http://127.0.0.1:${port}/test/random`)).arrayBuffer());
      const [a, b] = [await snapshot(), await snapshot()];
      expect(a.equals(b)).toBe(false);
      const v = await viewer(`ws://127.0.0.1:${port}/ws/test/`);
      await waitFor(() => v.binary.length >= 2, 'frames');
      const watched = await snapshot();
      await waitFor(() => v.binary.some((f) => f.equals(watched)), 'the snapshot among the frames the viewer received');
    });

    it('answers a CORS preflight on the snapshot route', async () => {
      const { port } = await hostWithStream();
      const res = await fetch(`http://127.0.0.1:${port}/test/random`, {
        method: 'OPTIONS',
        headers: { origin: 'http://elsewhere.test', 'access-control-request-method': 'GET' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-methods')).toContain('GET');
    });

    it('leaves every other route and method to the host app', async () => {
      const { port } = await hostWithStream();
      for (const [method, path] of [
        ['GET', '/'],
        ['GET', '/test/random/extra'],
        ['POST', '/test/random'],
        ['GET', '/ws/test/'],
      ] as const) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
        expect(await res.text(), `${method} ${path}`).toBe('host');
      }
    });

    it('hands an unmatched upgrade to the host app when no other upgrade handler exists', async () => {
      const { port } = await hostWithStream();
      expect(await rawUpgradeStatus(port, '/somewhere-else')).toBe('HTTP/1.1 200 OK');
    });

    it('turns the snapshot route off with `snapshotPath: false`', async () => {
      const { port } = await hostWithStream({ snapshotPath: false });
      expect(await (await fetch(`http://127.0.0.1:${port}/test/random`)).text()).toBe('host');
    });
  });

  describe('on an Express 5 app', () => {
    it('streams and snapshots while the app keeps its own routes', async () => {
      const app = express();
      app.get('/api/hello', (_req, res) => {
        res.json({ hello: 'express' });
      });
      const server = createServer(app);
      cleanups.push(() => closeServer(server));
      track(createFrameStreamServer({ server }));
      const port = await listen(server);
      await expectStreaming(port);
      expect(await (await fetch(`http://127.0.0.1:${port}/api/hello`)).json()).toEqual({ hello: 'express' });
      expect((await fetch(`http://127.0.0.1:${port}/missing`)).status).toBe(404);
      // An upgrade nobody claims reaches Express, as it would without the stream.
      expect(await rawUpgradeStatus(port, '/missing')).toBe('HTTP/1.1 404 Not Found');
      expect(await rawUpgradeStatus(port, '/api/hello')).toBe('HTTP/1.1 200 OK');
    });
  });

  describe('on a Fastify 5 server', () => {
    it('streams and snapshots while Fastify keeps its own routes', async () => {
      const app = Fastify();
      app.get('/api/hello', async () => ({ hello: 'fastify' }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      cleanups.push(() => app.close());
      track(createFrameStreamServer({ server: app.server }));
      const port = portOf(app.server);
      await expectStreaming(port);
      expect(await (await fetch(`http://127.0.0.1:${port}/api/hello`)).json()).toEqual({ hello: 'fastify' });
      expect((await fetch(`http://127.0.0.1:${port}/missing`)).status).toBe(404);
    });
  });

  describe('on an https server', () => {
    it('attaches and detaches like on http', () => {
      const server = createHttpsServer();
      const before = server.listeners('request').length;
      const stream = createFrameStreamServer({ server });
      expect(server.listenerCount('upgrade')).toBe(1);
      return stream.close().then(() => {
        expect(server.listeners('request')).toHaveLength(before);
        expect(server.listenerCount('upgrade')).toBe(0);
      });
    });
  });

  describe('sharing one server', () => {
    it('runs two streams on two paths and an unrelated ws server on a third', async () => {
      const server = createHostServer();
      cleanups.push(() => closeServer(server));
      const a = track(createFrameStreamServer({ server, path: '/a', snapshotPath: '/a.jpg', width: 64, height: 48 }));
      const b = track(createFrameStreamServer({ server, path: '/b', snapshotPath: '/b.jpg', width: 32, height: 16, source: 'pattern' }));
      // The pattern ws documents for many servers on one HTTP server.
      const echo = new WebSocketServer({ noServer: true });
      const onUpgrade = (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
        if (req.url === '/echo') echo.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo:${m}`)));
      };
      server.on('upgrade', onUpgrade);
      cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
      const port = await listen(server);

      const va = await viewer(`ws://127.0.0.1:${port}/a`, SUBPROTOCOL);
      const vb = await viewer(`ws://127.0.0.1:${port}/b`);
      const ve = await viewer(`ws://127.0.0.1:${port}/echo`);
      ve.send('hi');
      await waitFor(() => va.binary.length >= 1 && vb.binary.length >= 1, 'frames on both streams');
      expect(va.frames()[0]!.meta).toMatchObject({ width: 64, height: 48 });
      expect((await decodeJpeg(vb.binary[0]!)).width).toBe(32);
      await waitFor(() => ve.texts.length > 0, 'the echo');
      expect(ve.texts[0]).toBe('echo:hi');
      expect(a.clientCount).toBe(1);
      expect(b.clientCount).toBe(1);
      expect((await decodeJpeg(new Uint8Array(await (await fetch(`http://127.0.0.1:${port}/b.jpg`)).arrayBuffer()))).height).toBe(16);

      // Closing one stream leaves the other and the echo server working.
      await a.close();
      await waitFor(() => va.closeCode !== undefined, 'stream a to close its viewer');
      const before = vb.binary.length;
      await waitFor(() => vb.binary.length > before + 1, 'stream b to go on');
      expect(await rawUpgradeStatus(port, '/b')).toBe('HTTP/1.1 101 Switching Protocols');
      expect(await (await fetch(`http://127.0.0.1:${port}/a.jpg`)).text()).toBe('host');
    });
  });

  describe('#close', () => {
    it('ends its connections with 1001 and leaves the host server serving', async () => {
      const { stream, port } = await hostWithStream();
      const v = await viewer(`ws://127.0.0.1:${port}/ws/test/`);
      await waitFor(() => v.binary.length >= 1, 'a frame');
      await stream.close();
      await waitFor(() => v.closeCode !== undefined, 'the viewer to be closed');
      expect(v.closeCode).toBe(1001);
      expect(stream.clientCount).toBe(0);
      expect(await (await fetch(`http://127.0.0.1:${port}/test/random`)).text()).toBe('host');
      expect(await rawUpgradeStatus(port, '/ws/test/')).toBe('HTTP/1.1 200 OK');
    });

    it('is harmless when called twice', async () => {
      const { stream, port } = await hostWithStream();
      await Promise.all([stream.close(), stream.close()]);
      await stream.close();
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('host');
    });

    it('puts the host listeners back exactly as they were', async () => {
      const server: Server = createHostServer();
      cleanups.push(() => closeServer(server));
      const requestBefore = server.listeners('request');
      const upgradeBefore = server.listeners('upgrade');
      const one = createFrameStreamServer({ server, path: '/one', snapshotPath: '/one.jpg' });
      const two = createFrameStreamServer({ server, path: '/two', snapshotPath: '/two.jpg' });
      const late = () => {};
      server.on('request', late);
      expect(server.listeners('request')).not.toEqual(requestBefore);
      await one.close();
      await two.close();
      expect(server.listeners('request')).toEqual([...requestBefore, late]);
      expect(server.listeners('upgrade')).toEqual(upgradeBefore);
    });
  });
});
