import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type SourceState } from '../../src/client/index.js';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { RawProducer } from './support/raw-producer.js';
import { testJpeg } from './support/stream-server.js';
import { nextEvent, record, waitUntil } from './support/wait.js';

// The viewer of a stream fed by an external producer, against the package's
// own server with an ingest endpoint: the producer comes, goes and comes
// back, and the viewer follows without ever reconnecting.

const TOKEN = 'viewer-side-test';
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startHost(): Promise<{ http: Server; stream: FrameStreamServer; port: number }> {
  const http = createHostServer();
  const stream = createFrameStreamServer({ server: http, path: '/ws/model/', ingest: { path: '/ingest/model', token: TOKEN } });
  stream.on('error', () => {});
  const port = await listen(http);
  cleanups.push(() => closeServer(http), () => stream.close());
  return { http, stream, port };
}

async function startProducer(port: number): Promise<RawProducer> {
  const producer = new RawProducer(`ws://127.0.0.1:${port}/ingest/model`, TOKEN, await testJpeg(64, 48));
  cleanups.push(() => producer.close());
  await producer.opened;
  return producer;
}

describe('FrameStreamClient with an ingest stream', () => {
  it('shows the producer online, then offline since it left, then online again, on one connection', async () => {
    const { port } = await startHost();
    const client = new FrameStreamClient({ url: `ws://127.0.0.1:${port}/ws/model/`, WebSocket });
    cleanups.push(() => client.destroy());
    const rec = record(client, ['open', 'close', 'reconnecting', 'source']);
    let frames = 0;
    client.on('frame', () => frames++);
    client.connect();

    // No producer yet: connected, told the source is offline since the stream started.
    const waiting = (await nextEvent(client, 'source', (s) => s !== null))!;
    expect(client.status).toBe('connected');
    expect(waiting).toEqual({ online: false, offlineSince: expect.any(Number) });
    expect(rec.of('open')).toEqual([{ framed: true, stream: expect.objectContaining({ source: 'ingest' }), url: `ws://127.0.0.1:${port}/ws/model/` }]);

    const producer = await startProducer(port);
    const online = await nextEvent(client, 'source', (s) => s?.online === true);
    expect(online).toEqual({ online: true, offlineSince: null });
    await waitUntil(() => frames >= 5, 'frames from the producer');

    await producer.close();
    const leftAt = Date.now();
    const offline = (await nextEvent(client, 'source', (s) => s?.online === false))!;
    // The server's stamp, moved to this clock: within a second of the producer leaving.
    expect(Math.abs(offline.offlineSince! - leftAt)).toBeLessThan(1000);
    expect(client.getSnapshot().source).toEqual(offline);
    expect(client.status).toBe('connected');
    const framesWhileOffline = frames;

    await startProducer(port);
    await nextEvent(client, 'source', (s) => s?.online === true);
    await waitUntil(() => frames >= framesWhileOffline + 5, 'frames from the returning producer');

    // One connection throughout: no close, no retry, one `open`.
    expect(rec.of('open')).toHaveLength(1);
    expect(rec.of('close')).toEqual([]);
    expect(rec.of('reconnecting')).toEqual([]);
    expect(rec.of('source').map((s: SourceState | null) => s?.online)).toEqual([false, true, false, true]);
  }, 30_000);

  it('reports no source for a stream whose frames come from inside the server', async () => {
    const http = createHostServer();
    const stream = createFrameStreamServer({ server: http, path: '/ws/test/', source: 'pattern', width: 64, height: 48, fps: 10 });
    const port = await listen(http);
    cleanups.push(() => closeServer(http), () => stream.close());
    const client = new FrameStreamClient({ url: `ws://127.0.0.1:${port}/ws/test/`, WebSocket });
    cleanups.push(() => client.destroy());
    const rec = record(client, ['source', 'metrics']);
    client.connect();
    await waitUntil(() => rec.of('metrics').length >= 1, 'a metrics message');
    expect(client.getSnapshot().source).toBeNull();
    expect(rec.of('source')).toEqual([]);
  }, 30_000);
});
