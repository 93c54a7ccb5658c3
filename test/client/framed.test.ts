import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type ClientSnapshot, type FrameStreamClientOptions, type FrameStreamError, type LatencySample } from '../../src/client/index.js';
import type { ClientMessage } from '../../src/protocol/index.js';
import { TestStreamServer, type TestStreamOptions } from './support/stream-server.js';
import { nextEvent, record, waitUntil } from './support/wait.js';

// What only a framestream.v1 server can tell the client: latency, drops,
// metrics, and the control messages both ways.

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(server: Partial<TestStreamOptions> = {}, options: Partial<FrameStreamClientOptions> = {}) {
  const s = await TestStreamServer.start({ mode: 'framed', ...server });
  servers.push(s);
  const client = new FrameStreamClient({ url: s.url, WebSocket, initialDelayMs: 20, maxDelayMs: 100, ...options });
  clients.push(client);
  client.connect();
  await nextEvent(client, 'status', (st) => st === 'connected');
  return { server: s, client };
}

const sent = (server: TestStreamServer, type: ClientMessage['type']) => server.received.filter((m) => m.type === type);

describe('FrameStreamClient', () => {
  describe('#latency', () => {
    it('reports a plausible capture-to-receive latency with rolling percentiles', async () => {
      const { client } = await setup({ fps: 30 });
      const samples: LatencySample[] = [];
      client.on('latency', (s) => samples.push(s));
      await waitUntil(() => samples.length >= 10, 'ten latency samples');
      for (const s of samples) {
        // Loopback: well under a few seconds, never negative.
        expect(s.ms).toBeGreaterThanOrEqual(0);
        expect(s.ms).toBeLessThan(5000);
        expect(s.p50).toBeLessThanOrEqual(s.p95);
      }
      const frame = await nextEvent(client, 'frame');
      expect(frame.latencyMs).not.toBeNull();
      await waitUntil(() => client.getStats().latency !== null, 'latency in the stats');
    });

    it('corrects for a server clock that is far off, using ping/pong', async () => {
      // The server's clock runs two minutes behind: uncorrected, every frame
      // would look two minutes old (and a clock ahead would hide behind the
      // clamp to 0).
      const skew = -120_000;
      const { server, client } = await setup({ fps: 30, clockSkewMs: skew }, { pingInterval: 100 });
      await waitUntil(() => sent(server, 'ping').length >= 2, 'two pings');
      const samples: LatencySample[] = [];
      client.on('latency', (s) => samples.push(s));
      await waitUntil(() => samples.length >= 5, 'five latency samples');
      const offset = client.getStats().clockOffsetMs!;
      expect(Math.abs(offset - skew)).toBeLessThan(2000);
      for (const s of samples) expect(s.ms).toBeLessThan(5000);
    });

    it('keeps pinging at pingInterval while connected', async () => {
      const { server } = await setup({}, { pingInterval: 50 });
      await waitUntil(() => sent(server, 'ping').length >= 3, 'three pings');
      const ids = sent(server, 'ping').map((m) => (m as { id: number }).id);
      expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
    });
  });

  describe('#drops', () => {
    it('counts gaps in seq and the server-reported skipped frames without counting either twice', async () => {
      const { server, client } = await setup();
      const [ws] = server.sockets;
      for (const seq of [1, 2, 5, 6]) server.sendFrame(ws!, seq); // 3 and 4 never came
      await waitUntil(() => client.getStats().framesReceived === 4, 'four frames');
      expect(client.getStats().framesDropped).toBe(2);
      // The server reports the same two frames: still two.
      server.sendJson(ws!, { type: 'metrics', metrics: { fps: 30, viewers: 1, skipped: 2 } });
      await nextEvent(client, 'metrics');
      expect(client.getStats().framesDropped).toBe(2);
      // It skipped one more that no later frame has revealed yet.
      server.sendJson(ws!, { type: 'metrics', metrics: { fps: 30, viewers: 1, skipped: 3 } });
      await nextEvent(client, 'metrics');
      expect(client.getStats().framesDropped).toBe(3);
      // Frame 8 reveals frame 7 as the same skipped frame.
      server.sendFrame(ws!, 8);
      await waitUntil(() => client.getStats().framesReceived === 5, 'five frames');
      expect(client.getStats().framesDropped).toBe(3);
    });

    it('keeps earlier drops and does not count frames missed while reconnecting', async () => {
      const { server, client } = await setup();
      for (const seq of [1, 3]) server.sendFrame([...server.sockets][0]!, seq);
      await waitUntil(() => client.getStats().framesReceived === 2, 'two frames');
      for (const ws of server.sockets) ws.terminate();
      await nextEvent(client, 'status', (s) => s === 'connected');
      server.sendFrame([...server.sockets][0]!, 50);
      server.sendFrame([...server.sockets][0]!, 51);
      await waitUntil(() => client.getStats().framesReceived === 4, 'four frames');
      expect(client.getStats().framesDropped).toBe(1);
    });
  });

  describe('#metrics', () => {
    it('emits server metrics together with the last frame’s source metrics', async () => {
      const { server, client } = await setup();
      const [ws] = server.sockets;
      server.sendFrame(ws!, 1, { inferenceMs: 41.5 });
      await nextEvent(client, 'frame');
      server.sendJson(ws!, { type: 'metrics', metrics: { fps: 29.5, encodeMs: 3, viewers: 2, skipped: 0 } });
      const metrics = await nextEvent(client, 'metrics');
      expect(metrics).toEqual({ fps: 29.5, encodeMs: 3, viewers: 2, skipped: 0, source: { inferenceMs: 41.5 } });
      expect(client.getSnapshot().metrics).toEqual(metrics);
    });
  });

  describe('#setMaxFps', () => {
    it('sends the cap to the server and sends it again after a reconnect', async () => {
      const { server, client } = await setup();
      expect(client.setMaxFps(12)).toBe(true);
      await waitUntil(() => sent(server, 'setMaxFps').length === 1, 'the cap to reach the server');
      expect(sent(server, 'setMaxFps')).toEqual([{ type: 'setMaxFps', fps: 12 }]);
      for (const ws of server.sockets) ws.terminate();
      await nextEvent(client, 'reconnecting');
      await nextEvent(client, 'status', (s) => s === 'connected');
      await waitUntil(() => sent(server, 'setMaxFps').length === 2, 'the cap to be sent again');
      expect(sent(server, 'setMaxFps')[1]).toEqual({ type: 'setMaxFps', fps: 12 });
    });

    it('sends the maxFps option on every connection and lifts the cap with null', async () => {
      const { server, client } = await setup({}, { maxFps: 5 });
      await waitUntil(() => sent(server, 'setMaxFps').length === 1, 'the initial cap');
      client.setMaxFps(null);
      await waitUntil(() => sent(server, 'setMaxFps').length === 2, 'the cap to be lifted');
      expect(sent(server, 'setMaxFps').map((m) => (m as { fps: number | null }).fps)).toEqual([5, null]);
    });

    it('rejects a cap that is not a positive number', () => {
      const client = new FrameStreamClient({ url: 'ws://127.0.0.1:9/', WebSocket });
      expect(() => client.setMaxFps(0)).toThrow(/`maxFps`.*`0`/);
      expect(() => client.setMaxFps(Number.NaN)).toThrow(TypeError);
      expect(client.setMaxFps(10)).toBe(false); // kept for the next connection
    });
  });

  describe('#send', () => {
    it('delivers app-defined control messages to the server', async () => {
      const { server, client } = await setup();
      expect(client.send({ prompt: 'a lighthouse at dusk', steps: 4 })).toBe(true);
      expect(client.send('plain string')).toBe(true);
      await waitUntil(() => sent(server, 'control').length === 2, 'two control messages');
      expect(sent(server, 'control')).toEqual([
        { type: 'control', data: { prompt: 'a lighthouse at dusk', steps: 4 } },
        { type: 'control', data: 'plain string' },
      ]);
    });

    it('throws a TypeError for data JSON cannot carry and returns false when not connected', async () => {
      const { client } = await setup();
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      expect(() => client.send(circular)).toThrow(TypeError);
      expect(() => client.send(10n)).toThrow(TypeError);
      expect(() => client.send(undefined)).toThrow(/`data`/);
      client.disconnect();
      expect(client.send({ a: 1 })).toBe(false);
    });
  });

  describe('#control', () => {
    it('emits control and error messages the server sends', async () => {
      const { server, client } = await setup();
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      const [ws] = server.sockets;
      server.sendJson(ws!, { type: 'error', code: 'ERR_CONTROL_TOO_LARGE', message: 'too big' });
      server.sendJson(ws!, { type: 'control', data: { step: 3 } });
      expect(await nextEvent(client, 'control')).toEqual({ step: 3 });
      expect(errors.map((e) => [e.code, e.message])).toEqual([['ERR_CONTROL_TOO_LARGE', 'too big']]);
      expect(client.status).toBe('connected');
    });
  });

  describe('#open', () => {
    it("accepts a push stream's hello with fps 0 (the source sets the pace) and keeps every figure finite", async () => {
      const { server, client } = await setup({ fps: 0 }, { fpsInterval: 50 });
      expect(client.getStats().stream?.fps).toBe(0);
      for (let i = 0; i < 3; i++) server.broadcast();
      await nextEvent(client, 'fps');
      const { stats, fps } = client.getSnapshot();
      for (const n of [fps, stats.fps, stats.framesDropped, stats.framesCapped, stats.bytesReceived]) expect(Number.isFinite(n)).toBe(true);
    });

    it('counts as connected after helloTimeoutMs when the server never says hello', async () => {
      const { client } = await setup({ hello: false }, { helloTimeoutMs: 100 });
      expect(client.getStats().stream).toBeNull();
      expect(client.getStats().framed).toBe(true);
    });

    it('counts as connected at the first frame when it comes before hello', async () => {
      const s = await TestStreamServer.start({ mode: 'framed', hello: false, onConnection: (ws) => setTimeout(() => s.sendFrame(ws, 1), 20) });
      servers.push(s);
      const client = new FrameStreamClient({ url: s.url, WebSocket, helloTimeoutMs: 60_000 });
      clients.push(client);
      const rec = record(client, ['status', 'frame']);
      client.connect();
      await nextEvent(client, 'frame');
      expect(rec.log.map((e) => e.event)).toEqual(['status', 'status', 'frame']);
      expect(client.status).toBe('connected');
    });
  });

  describe('#getSnapshot', () => {
    it('returns the same object while frames arrive and a new one when a figure changes', async () => {
      const { server, client } = await setup({}, { fpsInterval: 60_000 });
      const first = client.getSnapshot();
      expect(first.status).toBe('connected');
      expect(Object.isFrozen(first)).toBe(true);
      let notified = 0;
      const unsubscribe = client.subscribe(() => notified++);
      for (let i = 0; i < 5; i++) server.broadcast();
      await waitUntil(() => client.getStats().framesReceived === 5, 'five frames');
      expect(client.getSnapshot()).toBe(first);
      expect(notified).toBe(0);
      server.sendJson([...server.sockets][0]!, { type: 'metrics', metrics: { fps: 30, viewers: 1, skipped: 0 } });
      await nextEvent(client, 'metrics');
      const second = client.getSnapshot();
      expect(second).not.toBe(first);
      expect(second.stats.framesReceived).toBe(5);
      expect(notified).toBe(1);
      unsubscribe();
      client.disconnect();
      expect(client.getSnapshot().status).toBe('disconnected');
      expect(notified).toBe(1);
    });

    it('tells subscribers about every status change', async () => {
      const s = await TestStreamServer.start({ mode: 'framed' });
      servers.push(s);
      const client = new FrameStreamClient({ url: s.url, WebSocket });
      clients.push(client);
      const seen: ClientSnapshot['status'][] = [];
      client.subscribe(() => seen.push(client.getSnapshot().status));
      client.connect();
      await nextEvent(client, 'status', (st) => st === 'connected');
      client.disconnect();
      expect(seen).toEqual(['connecting', 'connected', 'disconnected']);
    });
  });
});
