import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { looksLikeJpeg } from '../../src/protocol/index.js';
import { assertBuilt, startPlayground, type PlaygroundProcess } from './support.js';

/** A raw GET, so paths like `/../x` reach the server unnormalised (fetch would resolve them). */
function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a plain WebSocket (no subprotocol) and collects its first `count` messages. */
function firstMessages(url: string, count: number) {
  return new Promise<{ data: Buffer; isBinary: boolean }[]>((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: { data: Buffer; isBinary: boolean }[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`got ${messages.length} of ${count} messages`));
    }, 20_000);
    ws.on('message', (data: Buffer, isBinary) => {
      messages.push({ data, isBinary });
      if (messages.length === count) {
        clearTimeout(timer);
        ws.close();
        resolve(messages);
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('playground/server.mjs', () => {
  let server: PlaygroundProcess;

  beforeAll(async () => {
    assertBuilt();
    server = await startPlayground();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('#static files', () => {
    it('serves the built page as HTML', async () => {
      const res = await get(server.port, '/');
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/html/);
      expect(res.body.toString()).toContain('<div id="root"></div>');
    });

    it('serves the bundled script with a JavaScript MIME type', async () => {
      const html = (await get(server.port, '/')).body.toString();
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const res = await get(server.port, script!);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/javascript/);
    });

    it('answers an app route with the page and a missing asset with 404', async () => {
      const route = await get(server.port, '/some/app/route?x=1');
      expect(route.status).toBe(200);
      expect(route.body.toString()).toContain('<div id="root"></div>');
      expect((await get(server.port, '/assets/missing.js')).status).toBe(404);
    });

    it('never serves a file outside playground/dist', async () => {
      for (const path of ['/../server.mjs', '/..%2fserver.mjs', '/%2e%2e/server.mjs', '/assets/..%2f..%2fserver.mjs']) {
        const res = await get(server.port, path);
        expect(res.body.toString(), path).not.toContain('createFrameStreamServer');
      }
    });

    it('answers HEAD without a body and refuses other methods', async () => {
      const head = await get(server.port, '/', 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect((await get(server.port, '/', 'POST')).status).toBe(405);
    });
  });

  describe('#streams', () => {
    it('answers a snapshot of each stream as a JPEG', async () => {
      for (const path of ['/test/random', '/test/pattern']) {
        const res = await get(server.port, path);
        expect(res.status, path).toBe(200);
        expect(res.type, path).toBe('image/jpeg');
        expect(looksLikeJpeg(res.body), path).toBe(true);
      }
    });

    it('sends a plain WebSocket client one complete JPEG per binary message', async () => {
      for (const path of ['/ws/test/', '/ws/pattern/']) {
        const messages = await firstMessages(`ws://127.0.0.1:${server.port}${path}`, 3);
        for (const { data, isBinary } of messages) {
          expect(isBinary, path).toBe(true);
          expect(looksLikeJpeg(data), path).toBe(true);
        }
      }
    });
  });

  describe('#shutdown', () => {
    it('prints the URL for PORT=0 and exits cleanly on SIGTERM with a viewer connected', async () => {
      const other = await startPlayground({ port: 0 });
      expect(other.port).toBeGreaterThan(0);
      const ws = new WebSocket(`ws://127.0.0.1:${other.port}/ws/test/`);
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
      });
      expect(await other.stop('SIGTERM')).toBe(0);
      expect(await closed).toBe(1001);
    });
  });
});
