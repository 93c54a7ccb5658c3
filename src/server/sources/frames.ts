import { looksLikeJpeg, readJpegSize, type FrameMetrics } from '../../protocol/index.js';
import type { PushFrame, SourceFrame } from '../types.js';

/** Frame limits from the server options. */
export interface FrameLimits {
  maxFrameWidth: number;
  maxFrameHeight: number;
  maxFrameBytes: number;
}

/**
 * A frame that passed validation: either a JPEG ready to send, or raw 8-bit
 * pixels, each in a private copy (the app may reuse its buffer as soon as
 * `push()` returns, while the frame waits or the encoder reads ours on
 * another thread).
 */
export type ValidFrame =
  | { kind: 'jpeg'; bytes: Uint8Array; width: number; height: number }
  | { kind: 'raw'; pixels: Buffer; width: number; height: number; channels: 1 | 3 | 4 };

const describe = (v: unknown): string =>
  v === null ? 'null' : ArrayBuffer.isView(v) ? v.constructor.name : Array.isArray(v) ? 'an array' : typeof v;

function dimension(name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer in [1, ${max}], got \`${String(v)}\``);
  }
  return v;
}

function checkSize(name: string, width: number, height: number, limits: FrameLimits): void {
  dimension(`${name}.width`, width, limits.maxFrameWidth);
  dimension(`${name}.height`, height, limits.maxFrameHeight);
}

/**
 * Validates a pushed or yielded frame, throwing a `TypeError`/`RangeError`
 * that names the bad field. Float pixels are scaled here (0-1 → 0-255,
 * clamped) because a NaN must be reported at the call, not later by the encoder.
 * `owned`: the bytes are the stream's already (a message it received), so
 * JPEG and 8-bit frames are used in place rather than copied.
 */
export function validateFrame(frame: PushFrame | unknown, limits: FrameLimits, name = 'frame', owned = false): ValidFrame {
  if (frame instanceof Uint8Array) {
    if (frame.byteLength > limits.maxFrameBytes) {
      throw new RangeError(`Expected \`${name}\` to be at most ${limits.maxFrameBytes} bytes, got ${frame.byteLength}`);
    }
    const size = looksLikeJpeg(frame) ? readJpegSize(frame) : null;
    if (!size) {
      throw new TypeError(
        `Expected \`${name}\` bytes to be one complete JPEG file (SOI ... SOF ... EOI), got ${frame.byteLength} bytes starting ${Buffer.from(frame.subarray(0, 4)).toString('hex')}`,
      );
    }
    checkSize(name, size.width, size.height, limits);
    // A private copy, like raw pixels below: the frame may wait for the
    // encoder, and an app that reuses a pooled buffer must not change it.
    return { kind: 'jpeg', bytes: owned ? frame : Uint8Array.prototype.slice.call(frame), ...size };
  }
  if (typeof frame !== 'object' || frame === null || ArrayBuffer.isView(frame)) {
    throw new TypeError(
      `Expected \`${name}\` to be JPEG bytes (Uint8Array) or { data, width, height, channels }, got ${describe(frame)}`,
    );
  }
  const { data, width, height, channels } = frame as Record<string, unknown>;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    throw new TypeError(`Expected \`${name}.data\` to be a Uint8Array, Uint8ClampedArray or Float32Array, got ${describe(data)}`);
  }
  const w = dimension(`${name}.width`, width, limits.maxFrameWidth);
  const h = dimension(`${name}.height`, height, limits.maxFrameHeight);
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`Expected \`${name}.channels\` to be 1, 3 or 4, got \`${String(channels)}\``);
  }
  const expected = w * h * channels;
  if (data.length !== expected) {
    throw new RangeError(
      `Expected \`${name}.data\` to hold width×height×channels = ${w}×${h}×${channels} = ${expected} values, got ${data.length}`,
    );
  }
  if (expected > limits.maxFrameBytes) {
    throw new RangeError(`Expected \`${name}.data\` to be at most ${limits.maxFrameBytes} bytes, got ${expected}`);
  }
  if (owned && data instanceof Uint8Array) {
    return { kind: 'raw', pixels: Buffer.from(data.buffer, data.byteOffset, expected), width: w, height: h, channels };
  }
  const pixels = Buffer.allocUnsafe(expected);
  if (data instanceof Float32Array) {
    const nanAt = floatsToBytes(data, new Uint8ClampedArray(pixels.buffer, pixels.byteOffset, expected));
    if (nanAt !== -1) throw new RangeError(`Expected \`${name}.data\` to hold numbers, got NaN at index ${nanAt}`);
  } else {
    pixels.set(data);
  }
  return { kind: 'raw', pixels, width: w, height: h, channels };
}

/**
 * 0-1 floats to 0-255 bytes: a Uint8ClampedArray rounds and clamps on
 * assignment, which is exactly that conversion. Returns the index of the
 * first NaN (which would silently become 0), or -1.
 *
 * It is the hot loop of a pushed Float32 frame (786,432 values at 512×512
 * RGB), so it is kept small and monomorphic, and NaN is caught by a running
 * sum, which any NaN turns to NaN, rather than a test per value (the test
 * alone cost about a quarter of the loop). A NaN sum can also come from
 * +Infinity plus -Infinity, which clamp fine, so only then is the input
 * scanned.
 */
function floatsToBytes(input: Float32Array, out: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < input.length; i++) {
    const v = input[i]!;
    sum += v;
    out[i] = v * 255;
  }
  return sum === sum ? -1 : input.findIndex((v) => v !== v);
}

/** Validates frame metrics: a plain object of finite numbers. */
export function validateMetrics(metrics: unknown, name = 'metrics'): FrameMetrics | undefined {
  if (metrics === undefined) return undefined;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
    throw new TypeError(`Expected \`${name}\` to be an object of numbers, got ${describe(metrics)}`);
  }
  for (const [key, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`Expected \`${name}.${key}\` to be a finite number, got \`${String(v)}\``);
    }
  }
  return metrics as FrameMetrics;
}

/** Splits what an iterable source yields into the frame and its metrics. */
export function unwrapSourceFrame(value: SourceFrame | unknown): { frame: unknown; metrics: unknown } {
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && 'frame' in value) {
    return { frame: (value as { frame: unknown }).frame, metrics: (value as { metrics?: unknown }).metrics };
  }
  return { frame: value, metrics: undefined };
}
