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
