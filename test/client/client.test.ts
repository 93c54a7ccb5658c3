import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type Frame, type FrameStreamClientOptions, type FrameStreamError } from '../../src/client/index.js';
import { FRAME_HEADER_BYTES } from '../../src/protocol/index.js';
import { TestStreamServer, type StreamMode } from './support/stream-server.js';
import { countingWebSocket, nextEvent, record, waitUntil } from './support/wait.js';

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

// Only the timer functions: sockets, Date and performance stay real. Timers
// the client created before faking began are still cleared for real.
const fakeTimers = () =>
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'], shouldClearNativeTimers: true });

async function startServer(mode: StreamMode, fps = 0, extra: Partial<Parameters<typeof TestStreamServer.start>[0]> = {}) {
  const server = await TestStreamServer.start({ mode, fps, ...extra });
  servers.push(server);
  return server;
}

function makeClient(server: TestStreamServer, options: Partial<FrameStreamClientOptions> = {}) {
  const client = new FrameStreamClient({ url: server.url, WebSocket, initialDelayMs: 50, maxDelayMs: 200, ...options });
  clients.push(client);
  return client;
}

async function connected(client: FrameStreamClient): Promise<void> {
  if (client.status !== 'connected') await nextEvent(client, 'status', (s) => s === 'connected');
}

// The same behaviours against both kinds of server: the suite is run once
// per wire format.
describe.each<StreamMode>(['framed', 'bare'])('FrameStreamClient against a %s server', (mode) => {
  const framed = mode === 'framed';

  describe('#connect', () => {
    it('goes from disconnected through connecting to connected', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      const rec = record(client, ['status', 'open']);
      expect(client.status).toBe('disconnected');
      client.connect();
      await connected(client);
      expect(rec.of('status')).toEqual(['connecting', 'connected']);
      const [open] = rec.of('open');
      expect(open?.framed).toBe(framed);
      expect(open?.stream).toEqual(framed ? { width: 64, height: 48, fps: 0, codec: 'jpeg', source: 'test' } : null);
      expect(client.getStats().framed).toBe(framed);
    });

    it('connects on construction with autoConnect', async () => {
      const server = await startServer(mode);
      const client = makeClient(server, { autoConnect: true });
      expect(client.status).toBe('connecting');
      await connected(client);
    });

    it('treats connect() while connected and disconnect() while disconnected as no-ops', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      const rec = record(client, ['status', 'close']);
      client.disconnect();
      expect(rec.log).toEqual([]);
      client.connect();
      client.connect();
      await connected(client);
      client.connect();
      await waitUntil(() => server.sockets.size === 1, 'the server to see the connection');
      expect(server.connections).toBe(framed ? 1 : 2); // bare + ws: one refused handshake, then plain
      expect(rec.of('status')).toEqual(['connecting', 'connected']);
    });
  });

  describe('#frame', () => {
    it('delivers each frame with its bytes and metadata', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      const frames: Frame[] = [];
      const copies: Uint8Array[] = [];
      client.on('frame', (f) => {
        frames.push(f);
        copies.push(f.data.slice());
      });
      client.connect();
      await connected(client);
      server.broadcast({ inferenceMs: 40 });
      server.broadcast({ inferenceMs: 41 });
      server.broadcast({ inferenceMs: 42 });
      await waitUntil(() => frames.length === 3, 'three frames');
      expect(frames.map((f) => f.seq)).toEqual([1, 2, 3]);
      for (const [i, f] of frames.entries()) {
        expect(copies[i]).toEqual(server.jpegBytes);
        expect(f.width).toBe(64);
        expect(f.height).toBe(48);
        expect(f.codec).toBe('jpeg');
        expect(f.receivedTime).toBeGreaterThan(Date.now() - 60_000);
        expect(f.receivedTime).toBeLessThanOrEqual(Date.now() + 1);
        if (framed) {
          expect(f.metrics).toEqual({ inferenceMs: 40 + i });
          expect(f.captureTime).toBeLessThanOrEqual(f.encodedTime);
          // A view into the received message (header and all), not a copy.
          expect(f.data.byteOffset).toBe(FRAME_HEADER_BYTES + JSON.stringify({ inferenceMs: 40 + i }).length);
        } else {
          expect(f.metrics).toBeUndefined();
          expect(f.latencyMs).toBeNull();
        }
      }
      const stats = client.getStats();
      expect(stats.framesReceived).toBe(3);
      expect(stats.framesDropped).toBe(0);
      expect(stats.bytesReceived).toBeGreaterThanOrEqual(3 * server.jpegBytes.byteLength);
    });

    it('keeps going when a frame listener throws, reporting it as ERR_HOOK_FAILED', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      let calls = 0;
      client.on('frame', () => {
        calls++;
        throw new Error('listener bug');
      });
      client.connect();
      await connected(client);
      server.broadcast();
      server.broadcast();
      await waitUntil(() => calls === 2, 'both frames to reach the listener');
      expect(client.getStats().framesReceived).toBe(2);
      expect(client.status).toBe('connected');
      expect(errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED']);
      expect(errors[0]!.message).toContain('listener bug');
    });

    it('reports a throwing frame listener to the console when nobody listens for errors, without crashing', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown) => uncaught.push(err);
      process.on('uncaughtException', onUncaught);
      try {
        let calls = 0;
        client.on('frame', () => {
          calls++;
          throw new Error('listener bug');
        });
        client.connect();
        await connected(client);
        server.broadcast();
        server.broadcast();
        await waitUntil(() => calls === 2, 'both frames to reach the listener');
        await new Promise((r) => setTimeout(r, 20)); // a deferred rethrow would land here
        expect(uncaught).toEqual([]);
        expect(logged).toHaveBeenCalledTimes(2);
        expect(String(logged.mock.calls[0]!.at(-1))).toContain('listener bug');
        expect(client.status).toBe('connected');
      } finally {
        process.off('uncaughtException', onUncaught);
        logged.mockRestore();
      }
    });
  });

  describe('#fps', () => {
    it('reports a received frame rate near the rate the frames really arrive at', async () => {
      const server = await startServer(mode, 20);
      const client = makeClient(server, { fpsInterval: 500 });
      const fps: number[] = [];
      const marks: { at: number; frames: number }[] = [];
      client.on('fps', (n) => {
        fps.push(n);
        marks.push({ at: performance.now(), frames: client.getStats().framesReceived });
      });
      client.connect();
      await connected(client);
      await waitUntil(() => fps.length >= 5, 'five fps events');
      // The first window may start before the first frame; judge the later
      // ones against the frames counted independently over the same span.
      const first = marks[1]!;
      const last = marks.at(-1)!;
      const actual = ((last.frames - first.frames) * 1000) / (last.at - first.at);
      const later = fps.slice(2);
      const mean = later.reduce((a, b) => a + b, 0) / later.length;
      expect(mean).toBeGreaterThan(actual * 0.6);
      expect(mean).toBeLessThan(actual * 1.4);
      // And that is the stream's 20 fps, give or take a busy machine.
      expect(mean).toBeGreaterThan(4);
      expect(mean).toBeLessThan(30);
      expect(client.getStats().fps).toBe(fps.at(-1));
    });

    it('drops to 0 fps once disconnected', async () => {
      const server = await startServer(mode, 20);
      const client = makeClient(server, { fpsInterval: 200 });
      client.connect();
      await nextEvent(client, 'fps', (n) => n > 0);
      client.disconnect();
      expect(client.getStats().fps).toBe(0);
      expect(client.getSnapshot().fps).toBe(0);
    });
  });

  describe('#reconnect', () => {
    it('reconnects after the server restarts on the same port and receives frames again', async () => {
      const server = await startServer(mode, 20);
      const client = makeClient(server);
      const rec = record(client, ['status', 'reconnecting', 'close']);
      client.connect();
      await nextEvent(client, 'frame');
      await server.close();
      await nextEvent(client, 'reconnecting');
      expect(client.status).toBe('reconnecting');
      expect(rec.of('close')[0]?.code).toBe(1006);
      await server.restart();
      await connected(client);
      const frame = await nextEvent(client, 'frame');
      expect(frame.data.byteLength).toBeGreaterThan(0);
      expect(rec.of('status')).toContain('reconnecting');
      expect(rec.of('status').at(-1)).toBe('connected');
    });

    it('does not reconnect after a normal closure (code 1000)', async () => {
      const server = await startServer(mode);
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = makeClient(server, { WebSocket: WS });
      const rec = record(client, ['reconnecting']);
      client.connect();
      await connected(client);
      const before = counter.constructed;
      fakeTimers();
      for (const ws of server.sockets) ws.close(1000, 'bye');
      expect(await nextEvent(client, 'close')).toEqual({ code: 1000, reason: 'bye' });
      expect(client.status).toBe('disconnected');
      // Any retry timer would fire here and construct its socket at once.
      vi.advanceTimersByTime(600_000);
      expect(counter.constructed).toBe(before);
      expect(rec.of('reconnecting')).toEqual([]);
    });

    it('does not reconnect after disconnect()', async () => {
      const server = await startServer(mode);
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = makeClient(server, { WebSocket: WS });
      const rec = record(client, ['reconnecting', 'close']);
      client.connect();
      await connected(client);
      const before = counter.constructed;
      fakeTimers();
      client.disconnect();
      expect(client.status).toBe('disconnected');
      expect(rec.of('close')).toEqual([{ code: 1000, reason: 'client disconnect' }]);
      await waitUntil(() => server.sockets.size === 0, 'the server to see the socket close');
      vi.advanceTimersByTime(600_000);
      expect(counter.constructed).toBe(before);
      expect(rec.of('reconnecting')).toEqual([]);
    });

    it('connects again on connect() after disconnect()', async () => {
      const server = await startServer(mode, 20);
      const client = makeClient(server);
      client.connect();
      await connected(client);
      client.disconnect();
      client.connect();
      await connected(client);
      await nextEvent(client, 'frame');
    });
  });

  describe('#error', () => {
    it('reports unreadable messages with a code and keeps the connection', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      client.connect();
      await connected(client);
      const garbage = framed
        ? [server.frameMessage(9).subarray(0, 10), '{"type":', '{"type":"no-such-type"}', server.frameMessage(9).subarray(0, 40)]
        : [Uint8Array.from([1, 2, 3, 4, 5]), '{"type":'];
      for (const g of garbage) server.sendRaw(g);
      server.broadcast();
      await nextEvent(client, 'frame');
      expect(errors.map((e) => e.code)).toEqual(
        framed
          ? ['ERR_FRAME_TRUNCATED', 'ERR_CONTROL_JSON', 'ERR_CONTROL_UNKNOWN_TYPE', 'ERR_FRAME_TRUNCATED']
          : ['ERR_INVALID_FRAME', 'ERR_CONTROL_JSON'],
      );
      expect(client.status).toBe('connected');
      expect(client.getStats().framesReceived).toBe(1);
    });
  });

  describe('#destroy', () => {
    it('disconnects, drops every listener and refuses to connect again', async () => {
      const server = await startServer(mode);
      const client = makeClient(server);
      client.on('frame', () => {});
      client.connect();
      await connected(client);
      client.destroy();
      expect(client.status).toBe('disconnected');
      expect(client.listenerCount('frame')).toBe(0);
      expect(() => client.connect()).toThrow(/destroyed/);
      await waitUntil(() => server.sockets.size === 0, 'the server to see the socket close');
    });
  });
});
