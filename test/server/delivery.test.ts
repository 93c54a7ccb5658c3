import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { looksLikeJpeg, SUBPROTOCOL, type FrameStreamError } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServerOptions, type ViewerInfo } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { decodeJpeg, openViewer, solidJpeg, TestViewer, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(options: Partial<FrameStreamServerOptions> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({ server, ...options });
  cleanups.push(() => stream.close());
  const errors: FrameStreamError[] = [];
  stream.on('error', (e) => errors.push(e));
  const viewerErrors: FrameStreamError[] = [];
  stream.on('viewerError', (e) => viewerErrors.push(e));
  const port = await listen(server);
  const connect = async ({ bare = false, options: wsOptions = {} } = {}): Promise<TestViewer> => {
    const before = stream.clientCount;
    const v = await openViewer(`ws://127.0.0.1:${port}/ws/test/`, bare ? undefined : SUBPROTOCOL, wsOptions);
    cleanups.push(() => v.close());
    await waitFor(() => stream.clientCount > before, 'the server to register the viewer');
    return v;
  };
  return { stream, port, errors, viewerErrors, connect };
}

const seqs = (v: TestViewer) => v.frames().map((f) => f.meta.seq);

describe('FrameStreamServer', () => {
  describe('with a plain and a framestream viewer on one stream', () => {
    it('sends both the same JPEG bytes: bare for one, framed with metadata for the other', async () => {
      const { stream, connect } = await setup({ source: 'push' });
      const fs = await connect();
      const bare = await connect({ bare: true });
      const jpegs = await Promise.all([solidJpeg(16, 16, [255, 0, 0]), solidJpeg(24, 8, [0, 255, 0])]);
      for (const j of jpegs) stream.push(j);
      await waitFor(() => fs.binary.length >= 2 && bare.binary.length >= 2, 'both frames on both viewers');
      expect(bare.binary.map((b) => b.equals(jpegs[bare.binary.indexOf(b)]!))).toEqual([true, true]);
      expect(fs.frames().map((f) => Buffer.from(f.payload).equals(jpegs[f.meta.seq - 1]!))).toEqual([true, true]);
      expect(fs.frames()[1]!.meta).toMatchObject({ seq: 2, width: 24, height: 8 });
    });

    it('never sends the plain viewer a text message, and greets the framestream viewer with hello', async () => {
      const { connect } = await setup({ width: 128, height: 96, fps: 20 });
      const bare = await connect({ bare: true });
      const fs = await connect();
      fs.send({ type: 'ping', id: 7, clientTime: 1234.5 });
      await waitFor(() => fs.ofType('metrics').length >= 1 && bare.binary.length >= 3, 'metrics and frames');
      expect(bare.texts).toEqual([]);
      for (const b of bare.binary) expect(looksLikeJpeg(b)).toBe(true);
      expect((await decodeJpeg(bare.binary[0]!)).width).toBe(128);

      expect(fs.messages[0]).toMatchObject({
        type: 'hello',
        version: 1,
        stream: { width: 128, height: 96, fps: 20, codec: 'jpeg', quality: 90, source: 'noise' },
        maxFps: null,
      });
      const pong = fs.ofType('pong')[0]!;
      expect(pong).toMatchObject({ id: 7, clientTime: 1234.5 });
      expect(Math.abs(pong.serverTime - Date.now())).toBeLessThan(60_000);
      expect(fs.ofType('metrics')[0]!.metrics).toMatchObject({ viewers: 2, skipped: expect.any(Number), fps: expect.any(Number) });
    });
  });

  describe('events', () => {
    it('emits connection, frame and disconnect with what it knows about each', async () => {
      const { stream, connect } = await setup({ source: 'push' });
      const log: string[] = [];
      stream.on('connection', (info) => log.push(`connection ${info.id} ${info.protocol} ${info.url}`));
      stream.on('frame', (meta) => log.push(`frame ${meta.seq} ${meta.width}x${meta.height}`));
      stream.on('disconnect', (info) => log.push(`disconnect ${info.id} ${info.code}`));
      const fs = await connect();
      const bare = await connect({ bare: true });
      stream.push(await solidJpeg(20, 10, [0, 0, 0]));
      await waitFor(() => fs.binary.length === 1 && bare.binary.length === 1, 'the frame');
      bare.ws.close(4000, 'bye');
      await waitFor(() => log.some((l) => l.startsWith('disconnect')), 'the disconnect');
      expect(log).toEqual([
        `connection 1 ${SUBPROTOCOL} /ws/test/`,
        'connection 2 null /ws/test/',
        'frame 1 20x10',
        'disconnect 2 4000',
      ]);
    });
  });

  describe('backpressure', () => {
    it('skips a stalled viewer instead of queueing, without holding back the others', async () => {
      const { stream, connect } = await setup({ fps: 60 });
      const healthy = await connect({ bare: true });
      const stalled = await connect();
      const socket = (stalled.ws as unknown as { _socket: Socket })._socket;
      socket.pause();
      // Once the kernel buffers between the two ends are full, the server
      // starts skipping the stalled viewer.
      await waitFor(() => stream.getStats().framesSkipped > 0, 'the server to skip the stalled viewer', 60_000);
      const frameBytes = stream.getStats().lastFrameBytes;
      const before = healthy.binary.length;
      let worst = 0;
      while (healthy.binary.length < before + 30) {
        worst = Math.max(worst, stream.getStats().maxBufferedBytes);
        await new Promise((r) => setTimeout(r, 5));
      }
      // At most about two frames ever wait in the stalled viewer's socket.
      expect(worst).toBeLessThanOrEqual(3 * Math.max(frameBytes, 64 * 1024));
      expect(stream.getStats().viewers).toBe(2);

      // Resumed, it receives the newest frames: the ones it missed are gone, not queued.
      const received = stalled.binary.length;
      socket.resume();
      const skippedTo = stream.getStats().framesProduced;
      await waitFor(() => seqs(stalled).some((s) => s > skippedTo), 'the stalled viewer to catch up');
      const got = seqs(stalled).slice(received);
      const gaps = got.slice(1).filter((s, i) => s - got[i]! > 1);
      expect(gaps.length).toBeGreaterThan(0);
    });
  });

  describe('per-connection FPS cap', () => {
    it('sends a capped viewer only every few frames and lifts the cap on null', async () => {
      const { connect } = await setup({ source: 'pattern', width: 64, height: 64, fps: 30 });
      const capped = await connect();
      const full = await connect();
      capped.send({ type: 'setMaxFps', fps: 5 });
      await waitFor(() => full.binary.length >= 60, 'sixty frames on the uncapped viewer');
      // After the cap surely applied. It is a time budget, so it is judged
      // on capture times, whatever rate a loaded machine manages to produce.
      const after = seqs(full)[5]!;
      const times = capped.frames().filter((f) => f.meta.seq > after).map((f) => f.meta.captureTime);
      expect(times.length).toBeGreaterThan(2);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      const meanGap = (times.at(-1)! - times[0]!) / gaps.length;
      expect(meanGap).toBeGreaterThanOrEqual(150); // 5 FPS is one frame per 200 ms
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
      expect(seqs(full).length).toBeGreaterThan(seqs(capped).length);

      capped.send({ type: 'setMaxFps', fps: null });
      const mark = Math.max(...seqs(full));
      await waitFor(() => seqs(capped).filter((s) => s > mark + 2).length >= 10, 'uncapped frames');
      const uncapped = seqs(capped).filter((s) => s > mark + 2);
      expect(uncapped.slice(1).every((s, i) => s - uncapped[i]! === 1)).toBe(true);
    });
  });

  describe('production on demand', () => {
    it('produces nothing without viewers, starts for the first and stops after the last', async () => {
      const { stream, connect } = await setup();
      await new Promise((r) => setTimeout(r, 200));
      expect(stream.getStats()).toMatchObject({ producing: false, framesProduced: 0 });
      const v = await connect();
      await waitFor(() => v.binary.length >= 2, 'frames');
      expect(stream.getStats().producing).toBe(true);
      await v.close();
      await waitFor(() => !stream.getStats().producing, 'production to stop');
      const produced = stream.getStats().framesProduced;
      await new Promise((r) => setTimeout(r, 200));
      expect(stream.getStats().framesProduced).toBeLessThanOrEqual(produced + 2); // at most the frames already encoding
    });

    it('keeps producing with no viewers when `alwaysOn` is set', async () => {
      const { stream } = await setup({ alwaysOn: true, width: 32, height: 32 });
      await waitFor(() => stream.getStats().framesProduced >= 3, 'frames without viewers');
      expect(stream.getStats().viewers).toBe(0);
    });
  });

  describe('heartbeat', () => {
    it('terminates a peer that stops answering pings and keeps one that answers', async () => {
      const { stream, connect, errors, viewerErrors } = await setup({ heartbeatInterval: 150, source: 'push' });
      const answering = await connect();
      const silent = await connect({ options: { autoPong: false } });
      await waitFor(() => silent.closeCode !== undefined, 'the silent peer to be cut off');
      expect(silent.closeCode).toBe(1006);
      expect(viewerErrors.some((e) => e.code === 'ERR_HEARTBEAT_TIMEOUT')).toBe(true);
      expect(errors).toEqual([]);
      expect(answering.closeCode).toBeUndefined();
      expect(stream.clientCount).toBe(1);
    });
  });

  describe('control messages', () => {
    it('hands {type: control} to the control event and onControl, and broadcasts to framestream viewers only', async () => {
      const hooked: [unknown, ViewerInfo][] = [];
      const { stream, connect } = await setup({ source: 'push', onControl: (data, client) => void hooked.push([data, client]) });
      const events: unknown[] = [];
      stream.on('control', (data) => events.push(data));
      const fs = await connect();
      const bare = await connect({ bare: true });
      fs.send({ type: 'control', data: { prompt: 'a red fox' } });
      await waitFor(() => hooked.length === 1 && events.length === 1, 'the control message');
      expect(events[0]).toEqual({ prompt: 'a red fox' });
      expect(hooked[0]![1]).toMatchObject({ protocol: SUBPROTOCOL, maxFps: null });
      // Plain viewers have no control channel: what they send is ignored.
      bare.send({ type: 'control', data: 'ignored' });
      stream.broadcast({ step: 3 });
      await waitFor(() => fs.ofType('control').length === 1, 'the broadcast');
      expect(fs.ofType('control')[0]!.data).toEqual({ step: 3 });
      stream.push(await solidJpeg(8, 8, [0, 0, 0]));
      await waitFor(() => bare.binary.length === 1, 'a frame after the broadcast');
      expect(bare.texts).toEqual([]);
      expect(events).toHaveLength(1);
    });

    it('answers malformed messages with an error message and keeps the connection', async () => {
      const { stream, connect, errors, viewerErrors } = await setup({ source: 'push' });
      const v = await connect();
      v.send('{not json');
      v.send({ type: 'teleport' });
      v.send({ type: 'setMaxFps', fps: -2 });
      v.ws.send(Buffer.from([1, 2, 3]));
      v.send({ type: 'ping', id: 1, clientTime: 0 });
      await waitFor(() => v.ofType('pong').length === 1, 'the pong after the bad messages');
      expect(v.ofType('error').map((e) => e.code)).toEqual([
        'ERR_CONTROL_JSON',
        'ERR_CONTROL_UNKNOWN_TYPE',
        'ERR_CONTROL_INVALID',
        'ERR_CONTROL_INVALID',
      ]);
      // Peer garbage is the viewer's fault, not the app's: counted, reported
      // as viewerError at most once a second per viewer, never as `error`.
      expect(errors).toEqual([]);
      expect(viewerErrors.map((e) => e.code)).toEqual(['ERR_CONTROL_JSON']);
      expect(stream.getStats().viewerErrors).toBe(4);
      expect(v.closeCode).toBeUndefined();
    });
  });
});
