import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrameMessage } from '../../src/protocol/index.js';
import { httpRequest, runCleanups, solidJpeg, startStream, waitFor, type Cleanups, type StreamFixture } from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

let good: Buffer;
beforeAll(async () => {
  good = await solidJpeg(24, 16);
});

const LIMITS = { maxFrameWidth: 64, maxFrameHeight: 48, maxFrameBytes: 4096 };

/** What push() must accept, worked out independently of the implementation. */
function isValidRaw(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x)) return false;
  const { data, width, height, channels } = x as Record<string, unknown>;
  const typed = data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array;
  const dim = (v: unknown, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
  if (!typed || !dim(width, LIMITS.maxFrameWidth) || !dim(height, LIMITS.maxFrameHeight)) return false;
  if (channels !== 1 && channels !== 3 && channels !== 4) return false;
  const n = (width as number) * (height as number) * channels;
  if (data.length !== n || n > LIMITS.maxFrameBytes) return false;
  return !(data instanceof Float32Array && data.some((v) => Number.isNaN(v)));
}

/** Frame-shaped values that are almost right: the fields an app gets wrong. */
const frameShapes = fc.record(
  {
    data: fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.float32Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((a) => new Uint8ClampedArray(a)),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 50 }),
      fc.uint8Array({ maxLength: 50 }).map((a) => new Uint16Array(a)),
      fc.string(),
      fc.constant(null),
    ),
    width: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double(), fc.constantFrom('8', null, Infinity, 2 ** 40)),
    height: fc.oneof(fc.integer({ min: -5, max: 60 }), fc.double(), fc.constantFrom('8', undefined, Number.NaN)),
    channels: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constantFrom('3', 3.5, null)),
  },
  { requiredKeys: [] },
);

async function snapshotBytes(f: StreamFixture): Promise<Buffer> {
  const res = await httpRequest(f.port, '/test/random');
  expect(res.status).toBe(200);
  return res.body;
}

describe('FrameStreamServer', () => {
  describe('#push with malformed frames', () => {
    it('rejects every malformed frame with a TypeError or RangeError naming the field, keeping the last good frame (property)', async () => {
      const f = await startStream(cleanups, { source: 'push', ...LIMITS });
      const v = await f.viewer();
      f.stream.push(good);
      await waitFor(() => v.binary.length === 1, 'the good frame');
      fc.assert(
        fc.property(fc.oneof(frameShapes, fc.anything(), fc.uint8Array({ maxLength: 64 })), (frame) => {
          fc.pre(!isValidRaw(frame));
          let thrown: unknown;
          try {
            f.stream.push(frame as never);
          } catch (err) {
            thrown = err;
          }
          expect(thrown instanceof TypeError || thrown instanceof RangeError).toBe(true);
          expect((thrown as Error).message).toMatch(/`frame(\.\w+)?`|`frame` bytes/);
        }),
        { numRuns: 1000 },
      );
      expect((await snapshotBytes(f)).equals(good)).toBe(true);
      // Nothing malformed reached the viewer, and the stream still takes frames.
      f.stream.push(good);
      await waitFor(() => v.binary.length === 2, 'the next good frame');
      expect(decodeFrameMessage(new Uint8Array(v.binary[1]!)).meta.seq).toBe(2);
      expect(f.errors).toEqual([]);
    });

    it('reads the size of JPEG-looking bytes without ever throwing anything but a TypeError or RangeError (property)', async () => {
      const f = await startStream(cleanups, { source: 'push', ...LIMITS });
      // SOI, random marker segments (some SOF headers with random sizes), EOI:
      // bytes that pass the first checks and exercise the marker walk.
      const segment = fc.oneof(
        fc.tuple(fc.integer({ min: 0xc0, max: 0xfe }), fc.uint8Array({ maxLength: 40 })).map(([marker, body]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]),
        fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })).map(([h, w]) => [0xff, 0xc0, 0, 11, 8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3, 0, 0, 0]),
        fc.uint8Array({ maxLength: 8 }).map((b) => [...b]),
      );
      fc.assert(
        fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
          const bytes = Uint8Array.from([0xff, 0xd8, ...segments.flat(), 0xff, 0xd9]);
          try {
            f.stream.push(bytes);
          } catch (err) {
            expect(err instanceof TypeError || err instanceof RangeError).toBe(true);
          }
        }),
        { numRuns: 2000 },
      );
      expect(f.errors).toEqual([]);
    });

    it('encodes every valid raw frame it accepts (property)', async () => {
      const f = await startStream(cleanups, { source: 'push', ...LIMITS });
      const v = await f.viewer();
      const valid = fc
        .record({ width: fc.integer({ min: 1, max: 20 }), height: fc.integer({ min: 1, max: 20 }), channels: fc.constantFrom(1, 3, 4) as fc.Arbitrary<1 | 3 | 4> })
        .chain(({ width, height, channels }) =>
          fc.oneof(
            fc.uint8Array({ minLength: width * height * channels, maxLength: width * height * channels }),
            fc.float32Array({ minLength: width * height * channels, maxLength: width * height * channels, noNaN: true }),
          ).map((data) => ({ data, width, height, channels })),
        );
      let pushed = 0;
      await fc.assert(
        fc.asyncProperty(valid, async (frame) => {
          f.stream.push(frame);
          pushed++;
          await waitFor(() => v.binary.length === pushed, 'the encoded frame');
          const { meta } = decodeFrameMessage(new Uint8Array(v.binary.at(-1)!));
          expect([meta.width, meta.height]).toEqual([frame.width, frame.height]);
        }),
        { numRuns: 40 },
      );
      expect(f.errors).toEqual([]);
    });

    it('rejects metrics that are not an object of finite numbers (property)', async () => {
      const f = await startStream(cleanups, { source: 'push' });
      fc.assert(
        fc.property(fc.anything(), (metrics) => {
          const plainNumbers =
            metrics === undefined ||
            (typeof metrics === 'object' &&
              metrics !== null &&
              !Array.isArray(metrics) &&
              Object.values(metrics).every((n) => typeof n === 'number' && Number.isFinite(n)));
          let thrown: unknown;
          try {
            f.stream.push(good, metrics as never);
          } catch (err) {
            thrown = err;
          }
          if (plainNumbers) expect(thrown).toBeUndefined();
          else expect(thrown).toBeInstanceOf(TypeError);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('frame limits', () => {
    it('rejects pushed frames over maxFrameWidth, maxFrameHeight or maxFrameBytes, saying which limit and what it got', async () => {
      const f = await startStream(cleanups, { source: 'push', ...LIMITS });
      const wide = await solidJpeg(65, 8);
      const tall = await solidJpeg(8, 49);
      expect(() => f.stream.push(wide)).toThrow(RangeError);
      expect(() => f.stream.push(wide)).toThrow('Expected `frame.width` to be an integer in [1, 64], got `65`');
      expect(() => f.stream.push(tall)).toThrow('Expected `frame.height` to be an integer in [1, 48], got `49`');
      const heavy = Buffer.concat([good.subarray(0, -2), Buffer.alloc(5000), good.subarray(-2)]);
      expect(() => f.stream.push(heavy)).toThrow(`Expected \`frame\` to be at most 4096 bytes, got ${heavy.length}`);
      expect(() => f.stream.push({ data: new Uint8Array(40 * 40 * 3), width: 40, height: 40, channels: 3 })).toThrow(
        'Expected `frame.data` to be at most 4096 bytes, got 4800',
      );
      expect(() => f.stream.push({ data: new Uint8Array(100 * 1 * 1), width: 100, height: 1, channels: 1 })).toThrow('`frame.width`');
      expect(() => f.stream.push(good, { big: 1, note: 'x'.repeat(70_000) as never })).toThrow(TypeError);
      expect(() => f.stream.push(good, Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`metric${i}`, i])))).toThrow(RangeError);
    });

    it('rejects oversized frames from a source as error events and streams the rest', async () => {
      const wide = await solidJpeg(65, 8);
      const f = await startStream(cleanups, {
        ...LIMITS,
        source: async function* () {
          yield good;
          yield wide;
          yield { data: new Uint8Array(40 * 40 * 3), width: 40, height: 40, channels: 3 as const };
          for (;;) {
            await new Promise((r) => setTimeout(r, 20));
            yield good;
          }
        },
      });
      const v = await f.viewer();
      await waitFor(() => v.binary.length >= 3, 'good frames around the oversized ones');
      expect(f.errors.map((e) => e.code)).toEqual(['ERR_INVALID_FRAME', 'ERR_INVALID_FRAME']);
      expect(f.errors[0]!.message).toContain('`source frame.width`');
      expect(f.errors[1]!.message).toContain('at most 4096 bytes');
    });

    it('refuses a stream size over the frame limits when the stream is created', async () => {
      const { createFrameStreamServer } = await import('../../src/server/index.js');
      const { createHostServer } = await import('../support/net.js');
      expect(() => createFrameStreamServer({ server: createHostServer(), width: 1024, maxFrameWidth: 512 })).toThrow(
        'Expected `width` to be an integer in [1, 512], got `1024`',
      );
    });
  });
});
