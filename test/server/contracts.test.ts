import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_CODES, SUBPROTOCOL } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServerOptions, type ViewerHandle } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { openViewer, solid, solidJpeg, waitFor, type TestViewer } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(options: Partial<FrameStreamServerOptions> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({ server, width: 32, height: 32, ...options });
  cleanups.push(() => stream.close());
  const errors: Error[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(server);
  const path = (options.path ?? '/ws/test/').replace(/\/?$/, '/');
  const url = `ws://127.0.0.1:${port}${path}`;
  const connect = async (protocol: string | undefined = SUBPROTOCOL, wsOptions: WebSocket.ClientOptions = {}) => {
    const before = stream.viewerCount;
    const v = await openViewer(url, protocol, wsOptions);
    cleanups.push(() => v.close());
    await waitFor(() => stream.viewerCount > before, 'the stream to count the viewer');
    return v;
  };
  return { server, stream, port, url, errors, connect };
}

/** Opens a socket the server may refuse; resolves with the close code, or the HTTP status as `http <n>`. */
function attempt(url: string, protocol: string | undefined, headers: Record<string, string> = {}): Promise<string | number> {
  return new Promise((resolve) => {
    const ws = protocol ? new WebSocket(url, protocol, { headers }) : new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(`http ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', () => {});
    ws.on('close', (code) => resolve(code));
  });
}

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(16, 16, [220, 20, 20]), solidJpeg(16, 16, [20, 20, 220])]);
});

describe('FrameStreamServer', () => {
  describe('allowedOrigins with authorize', () => {
    it('refuses another site\'s page by default, since authorize reads cookies that page would send too', async () => {
      const { url, port } = await setup({ authorize: () => true });
      expect(await attempt(url, SUBPROTOCOL, { Origin: 'https://evil.example' })).toBe(CLOSE_CODES.forbiddenOrigin);
      expect(await attempt(url, undefined, { Origin: 'https://evil.example' })).toBe('http 403');
      const same = new WebSocket(url, SUBPROTOCOL, { headers: { Origin: `http://127.0.0.1:${port}` } });
      cleanups.push(() => same.terminate());
      await new Promise((resolve, reject) => same.once('open', resolve).once('error', reject));
    });

    it("lets every site in when the app says '*' on purpose", async () => {
      const { url } = await setup({ authorize: () => true, allowedOrigins: '*' });
      const ws = new WebSocket(url, SUBPROTOCOL, { headers: { Origin: 'https://other.example' } });
      cleanups.push(() => ws.terminate());
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    });
  });

  describe('refusals', () => {
    it('tells a framestream client why with a close code, and a plain client with the HTTP status', async () => {
      const { url } = await setup({ authorize: () => false });
      expect(await attempt(url, SUBPROTOCOL)).toBe(CLOSE_CODES.unauthorized);
      expect(await attempt(url, undefined)).toBe('http 401');
    });

    it('closes with 4503 when the stream is full', async () => {
      const { url, connect } = await setup({ maxViewers: 1 });
      await connect();
      expect(await attempt(url, SUBPROTOCOL)).toBe(CLOSE_CODES.full);
      expect(await attempt(url, undefined)).toBe('http 503');
    });
  });

  describe('viewer identity and replies', () => {
    it('hands control handlers a viewer that says who it is and can be answered alone', async () => {
      let n = 0;
      const { stream, connect } = await setup({ source: 'push', authorize: () => ({ user: `u${++n}` }) });
      const seen: ViewerHandle[] = [];
      stream.on('control', (data, viewer) => {
        seen.push(viewer);
        viewer.send({ echo: data });
      });
      const alice = await connect();
      const bob = await connect();
      alice.send({ type: 'control', data: 'hi' });
      await waitFor(() => alice.ofType('control').length === 1, 'the reply');
      expect(alice.ofType('control')[0]!.data).toEqual({ echo: 'hi' });
      expect(seen[0]!.identity).toEqual({ user: 'u1' });
      expect(seen[0]!.connected).toBe(true);
      expect(JSON.parse(JSON.stringify(seen[0]))).toMatchObject({ id: seen[0]!.id, protocol: SUBPROTOCOL });
      bob.send({ type: 'ping', id: 1, clientTime: 0 });
      await waitFor(() => bob.ofType('pong').length === 1, "bob's pong");
      expect(bob.ofType('control')).toEqual([]);
    });
  });

  describe('#broadcast()', () => {
    it('stops queueing for a viewer that answers pings but does not read', async () => {
      const { stream, connect } = await setup({ source: 'push' });
      const slow = await connect();
      // Reading stops; the socket's TCP window fills, then the server's buffer would.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = 'x'.repeat(10_000);
      for (let i = 0; i < 1000; i++) stream.broadcast({ i, big });
      // 10 MB were broadcast; the guard keeps about 1 MiB waiting, plus a message.
      expect(stream.getStats().maxBufferedBytes).toBeLessThan(2 * 1024 * 1024);
    });
  });

  describe('#push()', () => {
    it('copies a pushed JPEG, so a caller reusing its buffer never changes a frame already handed over', async () => {
      const { stream, connect } = await setup({ source: 'push' });
      const v = await connect();
      // A raw frame first, so the JPEG after it must wait for the encoder.
      stream.push({ data: solid(32, 32, [0, 200, 0]), width: 32, height: 32, channels: 3 });
      const pooled = Buffer.from(red);
      stream.push(pooled);
      blue.copy(pooled, 0, 0, Math.min(blue.length, pooled.length)); // the app reuses its buffer
      await waitFor(() => v.frames().length >= 2, 'both frames');
      expect(Buffer.from(v.frames()[1]!.payload).equals(red)).toBe(true);
    });

    it('keeps one frame waiting while the encoder is busy, whatever its kind: no burst, no queue', async () => {
      const { stream, connect } = await setup({ source: 'push', width: 1024, height: 1024, maxFrameBytes: 1 << 23 });
      const v = await connect();
      const raw = { data: solid(1024, 1024, [10, 20, 30]), width: 1024, height: 1024, channels: 3 as const };
      stream.push(raw);
      stream.push(raw); // two in the encoder: it is busy now
      for (let i = 0; i < 50; i++) stream.push(i % 2 ? red : blue);
      await waitFor(() => stream.getStats().framesProduced >= 3, 'the waiting frame');
      await new Promise((r) => setTimeout(r, 200));
      // Two raw frames and the newest JPEG; the 49 replaced ones never went out.
      expect(stream.getStats().framesProduced).toBe(3);
      expect(v.frames().length).toBeLessThanOrEqual(3);
      expect(Buffer.from(v.frames().at(-1)!.payload).equals(red)).toBe(true);
    });

    it('throws naming the source when the stream is not a push stream', async () => {
      const { stream } = await setup({ source: 'pattern' });
      expect(() => stream.push(red)).toThrow(TypeError);
      expect(() => stream.push(red)).toThrow(/source: 'push'.*'pattern'/);
    });

    it('holds pushed frames without encoding them while nobody watches, and shows the newest to the first viewer', async () => {
      const { stream, connect } = await setup({ source: 'push' });
      const watching: boolean[] = [];
      stream.on('watching', (w) => watching.push(w));
      expect(stream.watching).toBe(false);
      for (let i = 0; i < 10; i++) stream.push({ data: solid(32, 32, [i * 20, 0, 0]), width: 32, height: 32, channels: 3 });
      stream.push(blue);
      await new Promise((r) => setTimeout(r, 100));
      expect(stream.getStats().framesProduced).toBe(0);
      expect(stream.getStats().encodeMs).toBeUndefined();
      const v = await connect();
      await waitFor(() => v.frames().length === 1, 'the held frame');
      expect(Buffer.from(v.frames()[0]!.payload).equals(blue)).toBe(true);
      expect(stream.watching).toBe(true);
      await v.close();
      await waitFor(() => watching.length === 2, 'watching to end');
      expect(watching).toEqual([true, false]);
    });
  });

  describe('hello', () => {
    it('promises no frame rate for a push stream, whose source sets the pace', async () => {
      const { connect } = await setup({ source: 'push', fps: 30 });
      const v = await connect();
      await waitFor(() => v.ofType('hello').length === 1, 'hello');
      expect(v.ofType('hello')[0]!.stream.fps).toBe(0);
    });
  });

  describe('snapshot route', () => {
    it('never starts a model: a factory source is not called for a snapshot, which answers 503', async () => {
      let calls = 0;
      const { port } = await setup({
        source: () => {
          calls++;
          return (async function* () {
            yield red;
          })();
        },
      });
      const res = await fetch(`http://127.0.0.1:${port}/test/random`);
      expect(res.status).toBe(503);
      expect(calls).toBe(0);
    });

    it('is off by default for a stream on a path of its own', async () => {
      const { stream, port } = await setup({ path: '/ws/model/', source: 'pattern' });
      expect(stream.snapshotPath).toBe(false);
      expect((await fetch(`http://127.0.0.1:${port}/test/random`)).status).toBe(200); // the host app's answer
      expect(await (await fetch(`http://127.0.0.1:${port}/test/random`)).text()).toBe('host');
    });
  });

  describe('options', () => {
    it('refuses a second stream on a path already taken, naming it', async () => {
      const { server } = await setup({ path: '/ws/a/' });
      expect(() => createFrameStreamServer({ server, path: '/ws/a' })).toThrow(/'\/ws\/a' is already taken/);
      const other = createFrameStreamServer({ server, path: '/ws/b/', snapshotPath: false });
      await other.close();
    });

    it('rejects unknown options with the closest valid name', async () => {
      const server = createHostServer();
      expect(() => createFrameStreamServer({ server, fsp: 60 } as never)).toThrow("Unknown createFrameStreamServer option `fsp`; did you mean `fps`?");
      expect(() => createFrameStreamServer({ server, allowedOrigin: '*' } as never)).toThrow(/did you mean `allowedOrigins`/);
    });

    it('freezes the exported defaults', async () => {
      const { SERVER_DEFAULTS } = await import('../../src/server/index.js');
      expect(Object.isFrozen(SERVER_DEFAULTS)).toBe(true);
      expect(Object.isFrozen(SERVER_DEFAULTS.controlRateLimit)).toBe(true);
    });
  });

  describe('clock pings', () => {
    it('says how many bytes the pong waits behind, and counts capped frames apart from lost ones', async () => {
      const { connect } = await setup({ source: 'pattern', fps: 30 });
      const v: TestViewer = await connect();
      v.send({ type: 'setMaxFps', fps: 5 });
      v.send({ type: 'ping', id: 1, clientTime: 0 });
      await waitFor(() => v.ofType('pong').length === 1, 'the pong');
      expect(typeof v.ofType('pong')[0]!.queuedBytes).toBe('number');
      await waitFor(() => v.ofType('metrics').some((m) => (m.metrics.capped ?? 0) > 0), 'metrics with capped frames');
      const last = v.ofType('metrics').at(-1)!.metrics;
      expect(last.skipped).toBe(0);
    });
  });
});
