import { afterEach, describe, expect, it } from 'vitest';
import { isFrameStreamError, SUBPROTOCOL, type FrameStreamError } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer, type FrameStreamServerOptions, type SourceFrame } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { channelMeans, decodeJpeg, openViewer, solid, solidJpeg, TestViewer, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(options: Partial<FrameStreamServerOptions> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({ server, source: 'push', ...options });
  cleanups.push(() => stream.close());
  const errors: FrameStreamError[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(server);
  /** A framestream.v1 viewer, or a plain one with `{ bare: true }`; resolves once the server counts it. */
  const connect = async ({ bare = false } = {}): Promise<TestViewer> => {
    const before = stream.clientCount;
    const v = await openViewer(`ws://127.0.0.1:${port}/ws/test/`, bare ? undefined : SUBPROTOCOL);
    cleanups.push(() => v.close());
    await waitFor(() => stream.clientCount > before, 'the server to register the viewer');
    return v;
  };
  return { stream, port, errors, connect };
}

/** Waits for the viewer's next frame after `count` frames and decodes it. */
async function nthFrame(v: TestViewer, n: number) {
  await waitFor(() => v.binary.length >= n, `frame ${n}`);
  const frame = v.frames()[n - 1]!;
  return { ...frame, image: await decodeJpeg(frame.payload) };
}

function expectNear(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `channel ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}

describe('FrameStreamServer', () => {
  describe('#push', () => {
    it('passes JPEG bytes through unchanged to framestream and plain viewers', async () => {
      const { stream, connect } = await setup();
      const fs = await connect();
      const bare = await connect({ bare: true });
      const jpeg = await solidJpeg(40, 30, [10, 200, 30]);
      stream.push(jpeg, { inferenceMs: 12.5 });
      await waitFor(() => fs.binary.length >= 1 && bare.binary.length >= 1, 'the pushed frame');
      const frame = fs.frames()[0]!;
      expect(Buffer.from(frame.payload).equals(jpeg)).toBe(true);
      expect(frame.meta).toMatchObject({ seq: 1, width: 40, height: 30, codec: 'jpeg', metrics: { inferenceMs: 12.5 } });
      expect(frame.meta.encodedTime).toBeGreaterThanOrEqual(frame.meta.captureTime);
      expect(bare.binary[0]!.equals(jpeg)).toBe(true);
    });

    it('encodes uint8 RGB pixels so a solid colour survives', async () => {
      const { stream, connect } = await setup();
      const v = await connect();
      stream.push({ data: solid(64, 48, [200, 40, 90]), width: 64, height: 48, channels: 3 });
      const { meta, image } = await nthFrame(v, 1);
      expect([image.width, image.height, meta.width, meta.height]).toEqual([64, 48, 64, 48]);
      expectNear(channelMeans(image), [200, 40, 90], 4);
      expect(meta.metrics?.encodeMs).toBeGreaterThan(0);
    });

    it('encodes uint8 RGBA and Uint8ClampedArray pixels, dropping alpha', async () => {
      const { stream, connect } = await setup();
      const v = await connect();
      stream.push({ data: solid(32, 32, [20, 120, 240, 255]), width: 32, height: 32, channels: 4 });
      expectNear(channelMeans((await nthFrame(v, 1)).image), [20, 120, 240], 4);
      stream.push({ data: new Uint8ClampedArray(solid(32, 32, [250, 250, 10])), width: 32, height: 32, channels: 3 });
      expectNear(channelMeans((await nthFrame(v, 2)).image), [250, 250, 10], 4);
    });

    it('encodes greyscale pixels', async () => {
      const { stream, connect } = await setup();
      const v = await connect();
      stream.push({ data: solid(16, 16, [77]), width: 16, height: 16, channels: 1 });
      const { image } = await nthFrame(v, 1);
      expectNear([channelMeans(image)[0]!], [77], 3);
    });

    it('scales float pixels from 0-1 to 0-255 and clamps values outside', async () => {
      const { stream, connect } = await setup();
      const v = await connect();
      stream.push({ data: new Float32Array(16 * 16 * 3).fill(0.5), width: 16, height: 16, channels: 3 });
      expectNear(channelMeans((await nthFrame(v, 1)).image), [128, 128, 128], 3);
      const data = new Float32Array(16 * 16 * 3);
      for (let i = 0; i < data.length; i += 3) [data[i], data[i + 1], data[i + 2]] = [7.5, -3, 1];
      stream.push({ data, width: 16, height: 16, channels: 3 });
      expectNear(channelMeans((await nthFrame(v, 2)).image), [255, 0, 255], 4);
      // Infinities clamp like any out-of-range value, also side by side
      // (their sum is NaN, yet no value is).
      for (let i = 0; i < data.length; i += 3) [data[i], data[i + 1], data[i + 2]] = [Infinity, -Infinity, 0];
      stream.push({ data, width: 16, height: 16, channels: 3 });
      expectNear(channelMeans((await nthFrame(v, 3)).image), [255, 0, 0], 4);
    });

    it('rejects malformed frames at the call, naming the field, while the stream goes on', async () => {
      const { stream, connect, port } = await setup({ maxFrameWidth: 1024, maxFrameBytes: 1_000_000 });
      const v = await connect();
      const good = await solidJpeg(8, 8, [0, 0, 255]);
      stream.push(good);
      await waitFor(() => v.binary.length === 1, 'the good frame');

      const rgb = (w: number, h: number) => ({ data: solid(w, h, [1, 2, 3]), width: w, height: h, channels: 3 as const });
      const cases: [string, () => void, ErrorConstructor, RegExp][] = [
        ['wrong byte length', () => stream.push({ ...rgb(4, 4), width: 5 }), RangeError, /`frame\.data`.*5×4×3 = 60.*got 48/],
        ['zero width', () => stream.push({ ...rgb(4, 4), width: 0 }), RangeError, /`frame\.width`.*got `0`/],
        ['absurd height', () => stream.push({ ...rgb(4, 4), height: 100_000 }), RangeError, /`frame\.height`/],
        ['fractional width', () => stream.push({ ...rgb(4, 4), width: 4.5 }), RangeError, /`frame\.width`/],
        ['too wide for maxFrameWidth', () => stream.push(rgb(1025, 1)), RangeError, /`frame\.width`.*1024/],
        ['too many bytes', () => stream.push(rgb(1000, 400)), RangeError, /`frame\.data`.*at most 1000000/],
        ['bad channel count', () => stream.push({ ...rgb(4, 4), channels: 2 as 3 }), RangeError, /`frame\.channels`/],
        ['a plain array', () => stream.push({ ...rgb(1, 1), data: [1, 2, 3] as unknown as Uint8Array }), TypeError, /`frame\.data`/],
        ['NaN pixels', () => stream.push({ data: new Float32Array([0.1, NaN, 0.3]), width: 1, height: 1, channels: 3 }), RangeError, /`frame\.data`.*NaN at index 1/],
        ['non-JPEG bytes', () => stream.push(new Uint8Array([1, 2, 3, 4, 5, 6])), TypeError, /`frame`.*JPEG/],
        ['a truncated JPEG', () => stream.push(good.subarray(0, good.length - 10)), TypeError, /`frame`.*JPEG/],
        ['null', () => stream.push(null as unknown as Uint8Array), TypeError, /`frame`/],
        ['NaN metrics', () => stream.push(good, { inferenceMs: NaN }), TypeError, /`metrics\.inferenceMs`/],
      ];
      for (const [name, call, type, message] of cases) {
        expect(call, name).toThrow(type);
        expect(call, name).toThrow(message);
      }

      // The last good frame is still the stream's: a new viewer and the snapshot get it.
      const late = await openViewer(`ws://127.0.0.1:${port}/ws/test/`);
      cleanups.push(() => late.close());
      await waitFor(() => late.binary.length >= 1, 'the last good frame on connect');
      expect(late.binary[0]!.equals(good)).toBe(true);
      const snap = Buffer.from(await (await fetch(`http://127.0.0.1:${port}/test/random`)).arrayBuffer());
      expect(snap.equals(good)).toBe(true);
      stream.push({ data: solid(8, 8, [255, 0, 0]), width: 8, height: 8, channels: 3 });
      expectNear(channelMeans((await nthFrame(v, 2)).image), [255, 0, 0], 6);
      expect(v.binary).toHaveLength(2);
    });
  });

  describe('with an async-iterable source', () => {
    it('pulls frames only once someone watches and delivers them in order with their metrics', async () => {
      let pulls = 0;
      async function* frames(): AsyncGenerator<SourceFrame> {
        for (const shade of [50, 150, 250]) {
          pulls++;
          yield { frame: { data: solid(24, 24, [shade, shade, shade]), width: 24, height: 24, channels: 3 }, metrics: { inferenceMs: shade } };
        }
      }
      const { connect, stream } = await setup({ source: frames(), fps: 60 });
      await new Promise((r) => setTimeout(r, 150));
      expect(pulls).toBe(0);
      expect(stream.getStats().producing).toBe(false);
      const v = await connect();
      await waitFor(() => v.binary.length >= 3, 'three frames');
      const got = v.frames();
      expect(got.map((f) => f.meta.seq)).toEqual([1, 2, 3]);
      expect(got.map((f) => f.meta.metrics?.inferenceMs)).toEqual([50, 150, 250]);
      const shades = await Promise.all(got.map(async (f) => Math.round(channelMeans(await decodeJpeg(f.payload))[0]!)));
      shades.forEach((s, i) => expect(Math.abs(s - [50, 150, 250][i]!)).toBeLessThanOrEqual(3));
      await waitFor(() => stream.getStats().inferenceMs !== undefined, 'the inference median');
      expect(stream.getStats().inferenceMs).toBe(150);
    });

    it('reports a failing source as an error event and keeps the last good frame', async () => {
      async function* failing(): AsyncGenerator<SourceFrame> {
        yield { data: solid(8, 8, [0, 255, 0]), width: 8, height: 8, channels: 3 };
        throw new Error('model crashed');
      }
      const { connect, errors, port } = await setup({ source: failing() });
      const v = await connect();
      // The error can come first: the next pull fails while the first frame is still encoding.
      await waitFor(() => errors.some((e) => e.code === 'ERR_SOURCE_FAILED') && v.binary.length > 0, 'the frame and the source error');
      expect(errors.find((e) => e.code === 'ERR_SOURCE_FAILED')!.message).toMatch(/model crashed/);
      expect(v.binary).toHaveLength(1);
      const snap = new Uint8Array(await (await fetch(`http://127.0.0.1:${port}/test/random`)).arrayBuffer());
      expectNear(channelMeans(await decodeJpeg(snap)), [0, 255, 0], 6);
    });

    it('reports a malformed yielded frame and goes on with the next one', async () => {
      async function* mixed(): AsyncGenerator<SourceFrame> {
        yield { data: new Uint8Array(5), width: 2, height: 2, channels: 3 };
        yield { data: solid(4, 4, [9, 9, 9]), width: 4, height: 4, channels: 3 };
      }
      const { connect, errors } = await setup({ source: mixed() });
      const v = await connect();
      await waitFor(() => v.binary.length >= 1, 'the good frame');
      const invalid = errors.find((e) => isFrameStreamError(e, 'ERR_INVALID_FRAME'));
      expect(invalid?.message).toMatch(/`source frame\.data`/);
    });

    it('calls a source function again when production restarts', async () => {
      let runs = 0;
      const source = async function* (): AsyncGenerator<SourceFrame> {
        runs++;
        for (;;) {
          await new Promise((r) => setTimeout(r, 5));
          yield { data: solid(4, 4, [runs * 10, 0, 0]), width: 4, height: 4, channels: 3 };
        }
      };
      const { connect, stream } = await setup({ source });
      const first = await connect();
      await waitFor(() => first.binary.length >= 2, 'frames from the first run');
      await first.close();
      await waitFor(() => stream.clientCount === 0 && !stream.getStats().producing, 'production to stop');
      const second = await connect();
      await waitFor(() => runs === 2 && second.binary.length >= 3, 'frames from the second run');
    });
  });

  describe('#setSource', () => {
    it('switches a live stream from pushed frames to the pattern', async () => {
      const { connect, stream } = await setup({ width: 96, height: 64 });
      const v = await connect();
      stream.push(await solidJpeg(8, 8, [1, 2, 3]));
      await waitFor(() => v.binary.length >= 1, 'the pushed frame');
      stream.setSource('pattern');
      await waitFor(() => v.binary.length >= 4, 'pattern frames');
      expect(v.frames()[3]!.meta).toMatchObject({ width: 96, height: 64 });
      expect(stream.getStats().source).toBe('pattern');
      // The pattern moves: consecutive frames differ.
      const [a, b] = await Promise.all([decodeJpeg(v.frames()[2]!.payload), decodeJpeg(v.frames()[3]!.payload)]);
      expect(a.data.equals(b.data)).toBe(false);
      expect(() => stream.setSource('webcam' as 'noise')).toThrow(/`source`/);
    });
  });

  describe('the snapshot route', () => {
    it('answers 503 before a push stream has any frame', async () => {
      const { port } = await setup();
      const res = await fetch(`http://127.0.0.1:${port}/test/random`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
    });
  });
});
