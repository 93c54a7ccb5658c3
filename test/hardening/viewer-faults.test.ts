import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientFrame,
  frameCounter,
  RawClient,
  rawUpgrade,
  runCleanups,
  startStream,
  upgradeRequest,
  waitFor,
  type Cleanups,
} from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

/**
 * Viewers that misbehave at the TCP level. The test process is the host: an
 * uncaught exception from any of these would fail the run, so "the host did
 * not crash" is asserted by every test reaching its end.
 */
describe('FrameStreamServer with faulty viewers', () => {
  it('drops a viewer whose connection is reset in the middle of a frame and keeps the others flowing', async () => {
    // Large noise frames take several TCP segments each, so a reset right
    // after the first bytes of a frame arrive lands mid-frame.
    const f = await startStream(cleanups, { width: 384, height: 384 });
    const healthy = await f.viewer();
    for (let i = 0; i < 8; i++) {
      const raw = await rawUpgrade(f.port, '/ws/test/', { 'Sec-WebSocket-Protocol': 'framestream.v1' });
      await waitFor(() => f.stream.clientCount === 2, 'the raw viewer to be counted');
      const got = raw.body().length;
      await waitFor(() => raw.body().length > got, 'part of a frame');
      raw.socket.resetAndDestroy();
      await waitFor(() => f.stream.clientCount === 1, 'the stream to drop the reset viewer');
    }
    const count = frameCounter(healthy);
    await waitFor(() => count() >= 5, 'the healthy viewer to keep receiving frames');
    expect(healthy.closeCode).toBeUndefined();
    expect(f.errors.every((e) => e.code === 'ERR_SOCKET')).toBe(true);
  });

  it('never counts a client that stops half-way through its upgrade request, and serves the others', async () => {
    const f = await startStream(cleanups, { maxClients: 1 });
    const partial = new RawClient(f.port);
    cleanups.push(() => partial.destroy());
    await partial.connected;
    partial.write(upgradeRequest('/ws/test/').slice(0, 60)); // request line and part of a header
    // maxClients is 1: had the half-open request taken the slot, this would be refused.
    const healthy = await f.viewer();
    await waitFor(() => healthy.binary.length >= 3, 'frames for the complete viewer');
    expect(f.stream.clientCount).toBe(1);
    expect(partial.data.length).toBe(0);
  });

  it('lets a host with a headers timeout cut off a stalled upgrade before the stream ever sees it', async () => {
    // Before the upgrade completes the socket is the host's; Node's own
    // timeouts are what end a request that never finishes its headers.
    const host = createServer({ headersTimeout: 500, requestTimeout: 1000, connectionsCheckingInterval: 100 }, (_q, r) =>
      r.end('host'),
    );
    const f = await startStream(cleanups, {}, host);
    const partial = new RawClient(f.port);
    cleanups.push(() => partial.destroy());
    await partial.connected;
    partial.write(upgradeRequest('/ws/test/').slice(0, 60));
    await partial.closed;
    expect(partial.status()).toBe(408);
    expect(f.stream.getStats().viewers).toBe(0);
    expect(f.errors).toEqual([]);
  });

  it('skips a viewer that stops reading forever, holding at most a couple of frames for it, while others keep their rate', async () => {
    const f = await startStream(cleanups, { width: 256, height: 256, heartbeatInterval: 0 });
    const healthy = await f.viewer();
    const stalled = await rawUpgrade(f.port, '/ws/test/');
    cleanups.push(() => stalled.destroy());
    stalled.socket.pause(); // never reads again: the kernel buffers fill, then ws's
    await waitFor(() => f.stream.getStats().framesSkipped > 10, 'the stream to skip the stalled viewer', 60_000);
    const count = frameCounter(healthy);
    await waitFor(() => count() >= 15, 'the healthy viewer to keep receiving frames while the other is stalled');
    const { maxBufferedBytes, lastFrameBytes } = f.stream.getStats();
    // Latest frame wins: a stalled socket is never queued more than about
    // two frames (or 64 KiB for tiny frames), however long it stalls.
    expect(maxBufferedBytes).toBeLessThanOrEqual(3 * lastFrameBytes + 64 * 1024);
    expect(f.stream.clientCount).toBe(2);
  });

  it('bounds what it queues for a viewer that stops reading but keeps sending', async () => {
    // Every ping is answered with a pong; a client that never reads its
    // socket yet keeps pinging (and so keeps passing the heartbeat) must not
    // make the server queue pongs without end. 300,000 pongs are ~27 MB,
    // more than loopback kernel buffers absorb.
    const f = await startStream(cleanups, { source: 'push', controlRateLimit: { messages: 1_000_000, perMs: 1000 } });
    const raw = await rawUpgrade(f.port, '/ws/test/', { 'Sec-WebSocket-Protocol': 'framestream.v1' });
    cleanups.push(() => raw.destroy());
    raw.socket.pause();
    let peak = 0;
    for (let batch = 0; batch < 60; batch++) {
      const pings = Array.from({ length: 5000 }, (_, i) => clientFrame(1, `{"type":"ping","id":${batch * 5000 + i},"clientTime":0}`));
      if (!raw.socket.write(Buffer.concat(pings))) await new Promise((r) => raw.socket.once('drain', r));
      peak = Math.max(peak, f.stream.getStats().maxBufferedBytes);
    }
    // Messages are handled in order: once this one arrives, every ping has been answered (or not).
    const done = new Promise((r) => f.stream.once('control', r));
    raw.write(clientFrame(1, '{"type":"control","data":"last"}'));
    await done;
    peak = Math.max(peak, f.stream.getStats().maxBufferedBytes);
    expect(peak).toBeLessThanOrEqual(1024 * 1024 + 4096);
    expect(f.stream.clientCount).toBe(1);
  }, 120_000);

  it('terminates a viewer that goes silent without closing once it misses a heartbeat, and only that one', async () => {
    const f = await startStream(cleanups, { heartbeatInterval: 1000 }); // slack for a loaded machine: the healthy viewer must answer in time
    const healthy = await f.viewer();
    // A raw client reads everything but never writes: it never answers a
    // ping, like a peer whose cable was pulled.
    const silent = await rawUpgrade(f.port, '/ws/test/', { 'Sec-WebSocket-Protocol': 'framestream.v1' });
    cleanups.push(() => silent.destroy());
    await waitFor(() => f.stream.clientCount === 2, 'both viewers to be counted');
    await silent.closed;
    expect(silent.frames().some((fr) => fr.opcode === 9)).toBe(true); // it was pinged first
    expect(f.viewerErrors.map((e) => e.code)).toContain('ERR_HEARTBEAT_TIMEOUT');
    await waitFor(() => f.stream.clientCount === 1, 'the stream to forget the silent viewer');
    const count = frameCounter(healthy);
    await waitFor(() => count() >= 5, 'the answering viewer to keep receiving frames');
    expect(healthy.closeCode).toBeUndefined();
  });

  it('terminates a viewer that stops reading forever once heartbeats go unanswered', async () => {
    const f = await startStream(cleanups, { width: 128, height: 128, heartbeatInterval: 300 });
    const stalled = await rawUpgrade(f.port, '/ws/test/');
    cleanups.push(() => stalled.destroy());
    stalled.socket.pause();
    await waitFor(() => f.stream.clientCount === 0, 'the heartbeat to end the stalled viewer');
    expect(f.viewerErrors.map((e) => e.code)).toContain('ERR_HEARTBEAT_TIMEOUT');
    expect(f.stream.getStats().producing).toBe(false);
  });
});
