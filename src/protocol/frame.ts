import { FrameStreamError } from './errors.js';

/**
 * Binary frame message, subprotocol `framestream.v1` (see docs/protocol.md).
 *
 * All integers little-endian. The fixed part is 32 bytes so that the hot
 * path on both ends is a handful of DataView reads, no JSON:
 *
 * | offset | type | field                                          |
 * |-------:|------|------------------------------------------------|
 * |      0 | u8   | message type, always 1 (frame)                 |
 * |      1 | u8   | codec, 1 = JPEG                                |
 * |      2 | u16  | header length H (32 + metrics JSON bytes)      |
 * |      4 | u32  | sequence number                                |
 * |      8 | f64  | capture time, ms since the Unix epoch (server) |
 * |     16 | f64  | encode-done time, ms since the epoch (server)  |
 * |     24 | u16  | width in pixels                                |
 * |     26 | u16  | height in pixels                               |
 * |     28 | u32  | payload length P                               |
 * |     32 | utf8 | optional metrics JSON object (H - 32 bytes)    |
 * |      H | P    | the encoded image (one complete JPEG file)     |
 */
export const FRAME_MESSAGE_TYPE = 1;
export const FRAME_HEADER_BYTES = 32;
/** Largest metrics JSON a frame header can carry (the u16 header length). */
export const MAX_FRAME_METRICS_BYTES = 0xffff - FRAME_HEADER_BYTES;

export const CODECS = { jpeg: 1 } as const;
export type FrameCodec = keyof typeof CODECS;
const CODEC_BY_ID: Record<number, FrameCodec | undefined> = { 1: 'jpeg' };

/** Source-supplied numbers that travel with a frame, e.g. `{ inferenceMs: 41.2 }`. */
export type FrameMetrics = Record<string, number>;

/** What the header says about one frame. */
export interface FrameMeta {
  /** Increases by one for every frame the stream produced (viewers may skip some). */
  seq: number;
  /** When the frame was captured or generated, server wall clock, ms since the epoch. */
  captureTime: number;
  /** When its encode finished, server wall clock, ms since the epoch. */
  encodedTime: number;
  width: number;
  height: number;
  codec: FrameCodec;
  /** Source metrics (e.g. `inferenceMs`), if the source attached any. */
  metrics?: FrameMetrics;
}

export interface DecodedFrame {
  meta: FrameMeta;
  /** The encoded image: a view into the message, not a copy. */
  payload: Uint8Array;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Serialises the metrics once so a stream can build the header for a frame a
 * single time and send the same bytes to every viewer.
 */
export function encodeFrameMetrics(metrics: FrameMetrics | undefined): Uint8Array {
  if (!metrics || Object.keys(metrics).length === 0) return new Uint8Array(0);
  const bytes = textEncoder.encode(JSON.stringify(metrics));
  if (bytes.byteLength > MAX_FRAME_METRICS_BYTES) {
    throw new RangeError(
      `Expected frame \`metrics\` to serialise to at most ${MAX_FRAME_METRICS_BYTES} bytes, got ${bytes.byteLength}`,
    );
  }
  return bytes;
}

/** Throws naming `name` unless `value` is an integer in `[min, max]` (a header field's range). */
function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number') throw new TypeError(`Expected frame \`${name}\` to be a number, got \`${String(value)}\``);
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`Expected frame \`${name}\` to be an integer in [${min}, ${max}], got \`${value}\``);
  }
}

/**
 * Throws a `TypeError`/`RangeError` naming the field when `meta` or the
 * sizes do not fit the header: the header's u16 and u32 fields would
 * otherwise wrap silently (a 70000-pixel width read back as 4464) and an
 * unknown codec would be written as id 0, which every decoder rejects.
 */
function checkFrameMeta(meta: Omit<FrameMeta, 'metrics'>, payloadBytes: number, metricsBytes: number): void {
  if (!Object.hasOwn(CODECS, meta.codec)) {
    const known = Object.keys(CODECS).map((c) => `'${c}'`).join(', ');
    throw new TypeError(`Expected frame \`codec\` to be one of ${known}, got \`${String(meta.codec)}\``);
  }
  checkInteger('seq', meta.seq, 0, 0xffffffff);
  checkInteger('width', meta.width, 1, 0xffff);
  checkInteger('height', meta.height, 1, 0xffff);
  for (const name of ['captureTime', 'encodedTime'] as const) {
    const t = meta[name];
    if (typeof t !== 'number') throw new TypeError(`Expected frame \`${name}\` to be a number, got \`${String(t)}\``);
    if (!Number.isFinite(t)) throw new RangeError(`Expected frame \`${name}\` to be a finite number, got \`${t}\``);
  }
  if (metricsBytes > MAX_FRAME_METRICS_BYTES) {
    throw new RangeError(`Expected frame metrics to be at most ${MAX_FRAME_METRICS_BYTES} bytes, got ${metricsBytes}`);
  }
  if (payloadBytes > 0xffffffff) {
    throw new RangeError(`Expected the frame payload to be at most ${0xffffffff} bytes, got ${payloadBytes}`);
  }
}

/**
 * Builds one frame message: header, metrics and payload in a single buffer,
 * ready to be sent unchanged to every viewer.
 *
 * `allocate` lets Node callers pass `Buffer.allocUnsafe` so the result is a
 * Buffer that `ws` sends without another copy.
 *
 * Throws a `TypeError`/`RangeError` naming the field when a value does not
 * fit its header field: `seq` a u32, `width`/`height` integers in
 * [1, 65535], a known `codec`, finite timestamps. Decoding is unchanged.
 */
export function encodeFrameMessage(
  meta: Omit<FrameMeta, 'metrics'>,
  payload: Uint8Array,
  metricsJson: Uint8Array = new Uint8Array(0),
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  checkFrameMeta(meta, payload.byteLength, metricsJson.byteLength);
  const headerLength = FRAME_HEADER_BYTES + metricsJson.byteLength;
  const message = allocate(headerLength + payload.byteLength);
  const view = new DataView(message.buffer, message.byteOffset, FRAME_HEADER_BYTES);
  view.setUint8(0, FRAME_MESSAGE_TYPE);
  view.setUint8(1, CODECS[meta.codec]);
  view.setUint16(2, headerLength, true);
  view.setUint32(4, meta.seq, true);
  view.setFloat64(8, meta.captureTime, true);
  view.setFloat64(16, meta.encodedTime, true);
  view.setUint16(24, meta.width, true);
  view.setUint16(26, meta.height, true);
  view.setUint32(28, payload.byteLength, true);
  message.set(metricsJson, FRAME_HEADER_BYTES);
  message.set(payload, headerLength);
  return message;
}

/**
 * Reads a frame message. Throws a {@link FrameStreamError} with a specific
 * code when the bytes are not a well-formed frame; never reads out of bounds.
 * The returned payload is a view into `bytes`.
 */
export function decodeFrameMessage(bytes: Uint8Array): DecodedFrame {
  if (bytes.byteLength < FRAME_HEADER_BYTES) {
    throw new FrameStreamError(
      'ERR_FRAME_TRUNCATED',
      `Frame message is ${bytes.byteLength} bytes, shorter than its ${FRAME_HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(0);
  if (type !== FRAME_MESSAGE_TYPE) {
    throw new FrameStreamError('ERR_FRAME_UNKNOWN_TYPE', `Unknown binary message type ${type}`);
  }
  const codec = CODEC_BY_ID[view.getUint8(1)];
  if (!codec) {
    throw new FrameStreamError('ERR_FRAME_UNKNOWN_CODEC', `Unknown codec id ${view.getUint8(1)}`);
  }
  const headerLength = view.getUint16(2, true);
  const payloadLength = view.getUint32(28, true);
  if (headerLength < FRAME_HEADER_BYTES || headerLength > bytes.byteLength) {
    throw new FrameStreamError(
      'ERR_FRAME_HEADER',
      `Frame header length ${headerLength} is outside [${FRAME_HEADER_BYTES}, ${bytes.byteLength}]`,
    );
  }
  if (headerLength + payloadLength !== bytes.byteLength) {
    throw new FrameStreamError(
      'ERR_FRAME_TRUNCATED',
      `Frame claims ${headerLength + payloadLength} bytes but the message has ${bytes.byteLength}`,
    );
  }
  const width = view.getUint16(24, true);
  const height = view.getUint16(26, true);
  if (width === 0 || height === 0) {
    throw new FrameStreamError('ERR_FRAME_HEADER', `Frame has zero size ${width}x${height}`);
  }
  const meta: FrameMeta = {
    seq: view.getUint32(4, true),
    captureTime: view.getFloat64(8, true),
    encodedTime: view.getFloat64(16, true),
    width,
    height,
    codec,
  };
  if (!Number.isFinite(meta.captureTime) || !Number.isFinite(meta.encodedTime)) {
    throw new FrameStreamError('ERR_FRAME_HEADER', 'Frame timestamps are not finite numbers');
  }
  if (headerLength > FRAME_HEADER_BYTES) {
    meta.metrics = parseFrameMetrics(bytes.subarray(FRAME_HEADER_BYTES, headerLength));
  }
  return { meta, payload: bytes.subarray(headerLength) };
}

function parseFrameMetrics(json: Uint8Array): FrameMetrics {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(json));
  } catch (cause) {
    throw new FrameStreamError('ERR_FRAME_METRICS', 'Frame metrics are not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FrameStreamError('ERR_FRAME_METRICS', 'Frame metrics must be a JSON object');
  }
  const metrics: FrameMetrics = {};
  for (const [key, n] of Object.entries(value)) {
    if (typeof n === 'number' && Number.isFinite(n)) metrics[key] = n;
  }
  return metrics;
}
