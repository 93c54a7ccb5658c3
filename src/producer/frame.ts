import { encodeProducerFrame, looksLikeJpeg, readJpegSize, type FrameMetrics, type ProducerFrameHeader } from '../protocol/index.js';

/** The largest width or height the header carries (u16). */
export const MAX_DIMENSION = 0xffff;

const describe = (v: unknown): string =>
  v === null ? 'null' : ArrayBuffer.isView(v) ? v.constructor.name : Array.isArray(v) ? 'an array' : typeof v;

function dimension(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
    throw new RangeError(`Expected \`${name}\` to be an integer in [1, ${MAX_DIMENSION}], got \`${String(v)}\``);
  }
  return v;
}

/** A checked frame: its header fields and its payload bytes (a view of the caller's data, not yet copied). */
export interface CheckedFrame {
  header: Omit<ProducerFrameHeader, 'frameId' | 'target' | 'metrics'>;
  payload: Uint8Array;
  /**
   * What the server holds against its `maxFrameBytes`: a JPEG's bytes, or
   * raw pixels' values (one byte each once a float becomes 8-bit), so a
   * float32 payload may be four times as large.
   */
  size: number;
}

/**
 * Checks a frame as the server's `push()` does, throwing a
 * `TypeError`/`RangeError` that names the bad field: a mistake shows at the
 * call instead of as the server closing the connection later. Sizes against
 * the stream's own limits are the server's to check.
 */
export function checkFrame(frame: unknown, name = 'frame'): CheckedFrame {
  if (frame instanceof Uint8Array) {
    const size = looksLikeJpeg(frame) ? readJpegSize(frame) : null;
    if (!size) {
      const start = Array.from(frame.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
      throw new TypeError(
        `Expected \`${name}\` bytes to be one complete JPEG file (SOI ... SOF ... EOI), got ${frame.byteLength} bytes starting ${start}`,
      );
    }
    // Width and height travel as 0: the server reads them from the JPEG.
    return { header: { format: 'jpeg', width: 0, height: 0, channels: 0 }, payload: frame, size: frame.byteLength };
  }
  if (typeof frame !== 'object' || frame === null || ArrayBuffer.isView(frame)) {
    throw new TypeError(`Expected \`${name}\` to be JPEG bytes (Uint8Array) or { data, width, height, channels }, got ${describe(frame)}`);
  }
  const { data, width, height, channels } = frame as Record<string, unknown>;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    throw new TypeError(`Expected \`${name}.data\` to be a Uint8Array, Uint8ClampedArray or Float32Array, got ${describe(data)}`);
  }
  const w = dimension(`${name}.width`, width);
  const h = dimension(`${name}.height`, height);
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`Expected \`${name}.channels\` to be 1, 3 or 4, got \`${String(channels)}\``);
  }
  const expected = w * h * channels;
  if (data.length !== expected) {
    throw new RangeError(
      `Expected \`${name}.data\` to hold width×height×channels = ${w}×${h}×${channels} = ${expected} values, got ${data.length}`,
    );
  }
  if (data instanceof Float32Array) {
    const nanAt = findNaN(data);
    if (nanAt !== -1) throw new RangeError(`Expected \`${name}.data\` to hold numbers, got NaN at index ${nanAt}`);
  }
  // Float32 goes on the wire in the host's byte order, which is
  // little-endian on every platform Node supports, as the protocol wants.
  const payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const format = data instanceof Float32Array ? 'float32' : 'uint8';
  return { header: { format, width: w, height: h, channels }, payload, size: expected };
}

// A running sum turns NaN as soon as one value is NaN, so the common case is
// one cheap pass; only then (or for +Infinity plus -Infinity) is it searched.
function findNaN(data: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return sum === sum ? -1 : data.findIndex((v) => v !== v);
}

/** Checks frame metrics: a plain object of finite numbers. */
export function checkMetrics(metrics: unknown, name = 'metrics'): FrameMetrics | undefined {
  if (metrics === undefined) return undefined;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics) || ArrayBuffer.isView(metrics)) {
    throw new TypeError(`Expected \`${name}\` to be an object of numbers, got ${describe(metrics)}`);
  }
  for (const [key, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`Expected \`${name}.${key}\` to be a finite number, got \`${String(v)}\``);
    }
  }
  return metrics as FrameMetrics;
}

/** A frame ready for the wire: the whole message, in a buffer of its own. */
export interface OutgoingFrame {
  frameId: number;
  /** 0: the stream's viewers; else the session it is addressed to. */
  target: number;
  message: Uint8Array;
  /** Compared with the server's `maxFrameBytes` ({@link CheckedFrame.size}). */
  size: number;
}

/**
 * Builds the message at once: it copies the payload, so the caller may
 * reuse its buffer as soon as `send()` returns.
 */
export function buildFrame(frame: CheckedFrame, metrics: FrameMetrics | undefined, frameId: number, target = 0): OutgoingFrame {
  const message = encodeProducerFrame({ ...frame.header, target, frameId, metrics }, frame.payload);
  return { frameId, target, message, size: frame.size };
}
