import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type Frame, type FrameStreamClientOptions, type LatencySample } from '../../src/client/index.js';
import { looksLikeJpeg } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { nextEvent, record, waitUntil } from './support/wait.js';

// The client against the package's own server, createFrameStreamServer,
// attached to a plain http server on loopback.

interface Host {
  http: Server;
  stream: FrameStreamServer;
  port: number;
}

const hosts: Host[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(hosts.splice(0).map(stopHost));
});

async function startHost(options: Partial<FrameStreamServerOptions> = {}, port = 0): Promise<Host> {
  const http = createHostServer();
  const stream = createFrameStreamServer({ server: http, width: 64, height: 48, fps: 20, ...options });
  stream.on('error', () => {});
  if (port === 0) port = await listen(http);
  else await new Promise<void>((resolve, reject) => http.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  const host = { http, stream, port };
  hosts.push(host);
  return host;
}

async function stopHost(host: Host): Promise<void> {
  await host.stream.close();
  await closeServer(host.http);
}

function makeClient(host: Host, options: Partial<FrameStreamClientOptions> = {}) {
  const client = new FrameStreamClient({ url: `ws://127.0.0.1:${host.port}/ws/test/`, WebSocket, initialDelayMs: 50, maxDelayMs: 250, ...options });
  clients.push(client);
  return client;
}

describe('FrameStreamClient with createFrameStreamServer', () => {
  it('receives the stream’s frames with metadata, latency and metrics', async () => {
    const host = await startHost();
    const client = makeClient(host, { fpsInterval: 500 });
    const rec = record(client, ['open', 'latency', 'metrics', 'fps', 'error']);
    const frames: Frame[] = [];
    client.on('frame', (f) => frames.length < 10 && frames.push({ ...f, data: f.data.slice() }));
    client.connect();
    await waitUntil(() => frames.length >= 10 && rec.of('metrics').length >= 1 && rec.of('fps').length >= 3, 'frames, metrics and fps');
    const url = `ws://127.0.0.1:${host.port}/ws/test/`;
    expect(rec.of('open')).toEqual([{ framed: true, stream: expect.objectContaining({ width: 64, height: 48, fps: 20, codec: 'jpeg', source: 'noise' }), url }]);
    for (const f of frames) {
      expect(f).toMatchObject({ width: 64, height: 48, codec: 'jpeg' });
      expect(looksLikeJpeg(f.data)).toBe(true);
      expect(f.captureTime).toBeLessThanOrEqual(f.encodedTime);
    }
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.seq).toBeGreaterThan(frames[i - 1]!.seq);
    const latency = rec.of('latency') as LatencySample[];
    expect(latency.length).toBeGreaterThan(0);
    for (const s of latency) {
      expect(s.ms).toBeGreaterThanOrEqual(0);
      expect(s.ms).toBeLessThan(5000);
    }
    expect(rec.of('metrics')[0]).toMatchObject({ viewers: 1, skipped: expect.any(Number) });
    // The stream runs at 20 fps; the last windows should be in that region.
    const fps = rec.of('fps').slice(1);
    const mean = fps.reduce((a, b) => a + b, 0) / fps.length;
    // A busy machine may produce fewer frames, never more.
    expect(mean).toBeGreaterThan(4);
    expect(mean).toBeLessThan(30);
    expect(rec.of('error')).toEqual([]);
  });

  it('gets fewer frames after setMaxFps and counts the ones left out as capped, not dropped', async () => {
    const host = await startHost({ fps: 30 });
    const client = makeClient(host, { fpsInterval: 500 });
    client.connect();
    await nextEvent(client, 'frame');
    client.setMaxFps(5);
    await waitUntil(() => host.stream.getStats().framesCapped > 10, 'the server to leave out frames for the cap');
    const before = client.getStats().framesReceived;
    await nextEvent(client, 'fps');
    const fps = await nextEvent(client, 'fps');
    expect(fps).toBeLessThan(12);
    const metrics = await nextEvent(client, 'metrics', (m) => (m.capped ?? 0) > 10);
    const stats = client.getStats();
    expect(stats.framesCapped).toBe(metrics.capped);
    // Loopback keeps up: whatever the server reports lost, and nothing of the cap.
    expect(stats.framesDropped).toBeLessThan(stats.framesCapped);
    expect(stats.framesReceived).toBeGreaterThan(before);
  });

  it('delivers control messages to the server’s hook and the server’s broadcasts to the client', async () => {
    const received: unknown[] = [];
    const host = await startHost({ onControl: (data) => void received.push(data) });
    const client = makeClient(host);
    client.connect();
    await nextEvent(client, 'status', (s) => s === 'connected');
    expect(client.send({ prompt: 'a red fox' })).toBe(true);
    await waitUntil(() => received.length === 1, 'the hook to receive the message');
    expect(received).toEqual([{ prompt: 'a red fox' }]);
    const control = nextEvent(client, 'control');
    host.stream.broadcast({ step: 2 });
    expect(await control).toEqual({ step: 2 });
  });

  it('reconnects when the host restarts on the same port', async () => {
    const host = await startHost();
    const client = makeClient(host);
    client.connect();
    await nextEvent(client, 'frame');
    hosts.splice(hosts.indexOf(host), 1);
    await stopHost(host);
    const close = await nextEvent(client, 'close');
    expect(close.code).not.toBe(1000);
    await nextEvent(client, 'reconnecting');
    await startHost({}, host.port);
    await nextEvent(client, 'status', (s) => s === 'connected');
    await nextEvent(client, 'frame');
    expect(client.getStats().framed).toBe(true);
  });

  it('reads the same server as a plain WebSocket client in bare mode', async () => {
    const host = await startHost();
    const client = makeClient(host, { mode: 'bare' });
    const rec = record(client, ['latency', 'metrics']);
    client.connect();
    const frames: Frame[] = [];
    client.on('frame', (f) => frames.push(f));
    await waitUntil(() => frames.length >= 3, 'three frames');
    expect(client.getStats().framed).toBe(false);
    expect(frames.slice(0, 3).map((f) => f.seq)).toEqual([1, 2, 3]);
    for (const f of frames) expect(f).toMatchObject({ width: 64, height: 48, latencyMs: null });
    expect(rec.log).toEqual([]);
    expect(host.stream.getStats().framestreamViewers).toBe(0);
  });
});
