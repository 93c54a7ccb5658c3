import { describe, expect, it } from 'vitest';
import {
  decodeFrameMessage,
  encodeFrameMessage,
  encodeFrameMetrics,
  FRAME_HEADER_BYTES,
  FrameStreamError,
  looksLikeJpeg,
  parseClientMessage,
  parseServerMessage,
} from '../src/protocol/index.js';

const meta = { seq: 7, captureTime: 1_700_000_000_123.25, encodedTime: 1_700_000_000_140.5, width: 512, height: 256, codec: 'jpeg' as const };
const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof FrameStreamError ? err.code : `not a FrameStreamError: ${String(err)}`;
  }
  return undefined;
}

describe('frame messages', () => {
  it('round-trips header, metrics and payload', () => {
    const msg = encodeFrameMessage(meta, jpeg, encodeFrameMetrics({ inferenceMs: 41.5 }));
    const { meta: got, payload } = decodeFrameMessage(msg);
    expect(got).toEqual({ ...meta, metrics: { inferenceMs: 41.5 } });
    expect([...payload]).toEqual([...jpeg]);
    expect(payload.buffer).toBe(msg.buffer); // a view, not a copy
  });

  it('decodes a message that sits at an offset inside a larger buffer', () => {
    const msg = encodeFrameMessage(meta, jpeg);
    const big = new Uint8Array(msg.byteLength + 10);
    big.set(msg, 5);
    expect(decodeFrameMessage(big.subarray(5, 5 + msg.byteLength)).meta.seq).toBe(7);
  });

  it('rejects truncated, inconsistent and unknown messages with specific codes', () => {
    const msg = encodeFrameMessage(meta, jpeg, encodeFrameMetrics({ a: 1 }));
    expect(codeOf(() => decodeFrameMessage(msg.subarray(0, 10)))).toBe('ERR_FRAME_TRUNCATED');
    expect(codeOf(() => decodeFrameMessage(msg.subarray(0, msg.byteLength - 1)))).toBe('ERR_FRAME_TRUNCATED');
    const badType = msg.slice();
    badType[0] = 9;
    expect(codeOf(() => decodeFrameMessage(badType))).toBe('ERR_FRAME_UNKNOWN_TYPE');
    const badCodec = msg.slice();
    badCodec[1] = 200;
    expect(codeOf(() => decodeFrameMessage(badCodec))).toBe('ERR_FRAME_UNKNOWN_CODEC');
    const badHeader = msg.slice();
    new DataView(badHeader.buffer).setUint16(2, 4, true);
    expect(codeOf(() => decodeFrameMessage(badHeader))).toBe('ERR_FRAME_HEADER');
    const hugePayload = msg.slice();
    new DataView(hugePayload.buffer).setUint32(28, 0xffffffff, true);
    expect(codeOf(() => decodeFrameMessage(hugePayload))).toBe('ERR_FRAME_TRUNCATED');
    const badMetrics = msg.slice();
    badMetrics[FRAME_HEADER_BYTES] = 0x7b + 1; // '|' instead of '{'
    expect(codeOf(() => decodeFrameMessage(badMetrics))).toBe('ERR_FRAME_METRICS');
  });

  describe('encodeFrameMessage', () => {
    it('refuses a width or height the u16 header fields cannot hold, instead of wrapping it', () => {
      expect(() => encodeFrameMessage({ ...meta, width: 65_536 }, jpeg)).toThrow(
        new RangeError('Expected frame `width` to be an integer in [1, 65535], got `65536`'),
      );
      expect(() => encodeFrameMessage({ ...meta, height: 70_000 }, jpeg)).toThrow(/`height`.*`70000`/);
      expect(() => encodeFrameMessage({ ...meta, width: 0 }, jpeg)).toThrow(RangeError);
      expect(() => encodeFrameMessage({ ...meta, height: 12.5 }, jpeg)).toThrow(/`height`/);
      expect(() => encodeFrameMessage({ ...meta, width: '512' as never }, jpeg)).toThrow(TypeError);
      // The largest size still round-trips.
      const max = decodeFrameMessage(encodeFrameMessage({ ...meta, width: 65_535, height: 65_535 }, jpeg)).meta;
      expect([max.width, max.height]).toEqual([65_535, 65_535]);
    });

    it('refuses an unknown codec instead of writing codec 0', () => {
      expect(() => encodeFrameMessage({ ...meta, codec: 'png' as never }, jpeg)).toThrow(
        new TypeError("Expected frame `codec` to be one of 'jpeg', got `png`"),
      );
      expect(() => encodeFrameMessage({ ...meta, codec: 'toString' as never }, jpeg)).toThrow(TypeError);
    });

    it('refuses a seq that is not a u32 instead of wrapping it', () => {
      expect(() => encodeFrameMessage({ ...meta, seq: 2 ** 32 }, jpeg)).toThrow(/`seq`.*`4294967296`/);
      expect(() => encodeFrameMessage({ ...meta, seq: -1 }, jpeg)).toThrow(RangeError);
      expect(() => encodeFrameMessage({ ...meta, seq: 1.5 }, jpeg)).toThrow(RangeError);
      expect(decodeFrameMessage(encodeFrameMessage({ ...meta, seq: 2 ** 32 - 1 }, jpeg)).meta.seq).toBe(2 ** 32 - 1);
    });

    it('refuses timestamps a decoder would reject and metrics too large for the header', () => {
      expect(() => encodeFrameMessage({ ...meta, captureTime: NaN }, jpeg)).toThrow(/`captureTime`/);
      expect(() => encodeFrameMessage({ ...meta, encodedTime: Infinity }, jpeg)).toThrow(/`encodedTime`/);
      expect(() => encodeFrameMessage(meta, jpeg, new Uint8Array(0xffff))).toThrow(/metrics/);
    });
  });

  it('recognises complete JPEG files only', () => {
    expect(looksLikeJpeg(jpeg)).toBe(true);
    expect(looksLikeJpeg(jpeg.subarray(0, 6))).toBe(false);
    expect(looksLikeJpeg(new Uint8Array([1, 2, 3, 4]))).toBe(false);
  });
});

describe('control messages', () => {
  it('accepts the documented client messages', () => {
    expect(parseClientMessage('{"type":"ping","id":1,"clientTime":5}')).toEqual({ type: 'ping', id: 1, clientTime: 5 });
    expect(parseClientMessage('{"type":"setMaxFps","fps":10}')).toEqual({ type: 'setMaxFps', fps: 10 });
    expect(parseClientMessage('{"type":"setMaxFps","fps":null}')).toEqual({ type: 'setMaxFps', fps: null });
    expect(parseClientMessage('{"type":"control","data":{"prompt":"a cat"}}')).toEqual({
      type: 'control',
      data: { prompt: 'a cat' },
    });
  });

  it('rejects garbage with a code instead of throwing something else', () => {
    expect(codeOf(() => parseClientMessage('{nope'))).toBe('ERR_CONTROL_JSON');
    expect(codeOf(() => parseClientMessage('[1,2]'))).toBe('ERR_CONTROL_INVALID');
    expect(codeOf(() => parseClientMessage('{"type":"reboot"}'))).toBe('ERR_CONTROL_UNKNOWN_TYPE');
    expect(codeOf(() => parseClientMessage('{"type":"setMaxFps","fps":-3}'))).toBe('ERR_CONTROL_INVALID');
    expect(codeOf(() => parseClientMessage('{"type":"ping","id":"x","clientTime":1}'))).toBe('ERR_CONTROL_INVALID');
    expect(codeOf(() => parseServerMessage('{"type":"hello"}'))).toBe('ERR_CONTROL_INVALID');
    expect(codeOf(() => parseServerMessage('{"type":"pong","id":1}'))).toBe('ERR_CONTROL_INVALID');
    expect(codeOf(() => parseServerMessage('null'))).toBe('ERR_CONTROL_INVALID');
  });
});
