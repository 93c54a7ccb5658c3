import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type FrameStreamClientOptions } from '../../src/client/index.js';
import { snapshotMetrics } from '../../src/react/metrics.js';
import { TestStreamServer, type TestStreamOptions } from './support/stream-server.js';
import { nextEvent, waitUntil } from './support/wait.js';

// The figures a UI shows: frames lost against frames an FPS cap left out,
// nothing presented as live once the connection is gone, and latency that
// reads right from the start of a connection.

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

describe('FrameStreamClient', () => {
  describe('#drops with an FPS cap', () => {
    it('counts frames the cap left out as capped, not dropped', async () => {
      const { server, client } = await setup({}, { maxFps: 10 });
      const [ws] = server.sockets;
      // A 30 FPS stream capped to 10: every third frame, as the server sends it.
      for (const seq of [1, 4, 7, 10]) server.sendFrame(ws!, seq);
      await waitUntil(() => client.getStats().framesReceived === 4, 'four frames');
      expect(client.getStats().framesDropped).toBe(0);
      server.sendJson(ws!, { type: 'metrics', metrics: { fps: 30, viewers: 1, skipped: 0, capped: 6 } });
      await nextEvent(client, 'metrics');
      expect(client.getStats()).toMatchObject({ framesDropped: 0, framesCapped: 6 });
      // One frame really was lost: the server says so.
      server.sendFrame(ws!, 16);
      server.sendJson(ws!, { type: 'metrics', metrics: { fps: 30, viewers: 1, skipped: 1, capped: 10 } });
      await nextEvent(client, 'metrics');
      expect(client.getStats()).toMatchObject({ framesDropped: 1, framesCapped: 10 });
      expect(snapshotMetrics(client.getSnapshot())).toMatchObject({ framesDropped: 1, framesCapped: 10 });
    });

    it('ignores gaps from the moment a cap is set through setMaxFps', async () => {
      const { server, client } = await setup();
      const [ws] = server.sockets;
      expect(client.setMaxFps(10)).toBe(true);
      await waitUntil(() => server.received.some((m) => m.type === 'setMaxFps'), 'the cap to reach the server');
      for (const seq of [1, 4, 7]) server.sendFrame(ws!, seq);
      await waitUntil(() => client.getStats().framesReceived === 3, 'three frames');
      expect(client.getStats().framesDropped).toBe(0);
    });
  });

  describe('#snapshot once the connection ends', () => {
    it.each(['disconnect()', 'a drop'] as const)('presents no latency, fps, or server figures as live after %s', async (how) => {
      const { server, client } = await setup({ fps: 30 }, { fpsInterval: 100 });
      await nextEvent(client, 'fps', (n) => n > 0);
      server.sendJson([...server.sockets][0]!, { type: 'metrics', metrics: { fps: 30, viewers: 1, skipped: 0, frameBytes: 1234 } });
      await nextEvent(client, 'metrics');
      await waitUntil(() => client.getSnapshot().latency !== null && client.getSnapshot().fps > 0, 'live figures');
      const received = client.getStats().framesReceived;
      if (how === 'disconnect()') client.disconnect();
      else {
        for (const ws of server.sockets) ws.terminate();
        await nextEvent(client, 'status', (s) => s === 'reconnecting');
      }
      const snapshot = client.getSnapshot();
      expect(snapshot).toMatchObject({ fps: 0, latency: null, metrics: null });
      expect(snapshot.stats).toMatchObject({ fps: 0, latency: null });
      expect(snapshot.stats.framesReceived).toBeGreaterThanOrEqual(received); // totals stay
      expect(snapshotMetrics(snapshot)).toMatchObject({ fps: 0, latencyP50: null, latencyP95: null, frameBytes: null, inferenceMs: null });
    });
  });

  describe('#latency at the start of a connection', () => {
    it('reads right for the frames already received once a prompt pong follows a late first one', async () => {
      // Frames are 50 ms old when sent. The first pong comes back 300 ms
      // late, as one queued behind frames or read by a busy page would: the
      // clock estimate it gives is 150 ms low and every latency measured
      // with it reads 0.
      const { server, client } = await setup({ fps: 30, captureAgeMs: 50, pongDelayMs: (n) => (n === 0 ? 300 : 0) });
      await waitUntil(() => server.pongs >= 2, 'a second pong', 10_000);
      // Frames sent after that pong arrive after it.
      await nextEvent(client, 'frame');
      await nextEvent(client, 'frame');
      const { latency, framesReceived, clockOffsetMs } = client.getStats();
      expect(Math.abs(clockOffsetMs!)).toBeLessThan(25);
      expect(framesReceived).toBeGreaterThan(5);
      // Same clock on both ends: the estimate is now right, and so must be
      // every latency in the window, not only those of the frames to come.
      expect(latency!.p50).toBeGreaterThanOrEqual(40);
      expect(latency!.p95).toBeLessThan(5000);
    });
  });
});
