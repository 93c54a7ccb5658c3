import { FrameStreamError } from './errors.js';
import type { FrameMetrics } from './frame.js';
import type { ProducerSessionMessage } from './producer-sessions.js';

export * from './producer-sessions.js';

/**
 * Subprotocol `framestream.producer.v1`: a model in another process (or
 * language) sends frames to a stream's ingest endpoint (docs/producers.md).
 *
 * Producer → server, binary, all integers little-endian:
 *
 * | offset | type | field                                                    |
 * |-------:|------|----------------------------------------------------------|
 * |      0 | u8   | message type, always 1 (frame)                           |
 * |      1 | u8   | format: 1 = JPEG, 2 = raw uint8, 3 = raw float32 (0-1)   |
 * |      2 | u16  | header length H (24 + metrics JSON bytes)                |
 * |      4 | u32  | target: 0 = the stream's viewers, else a session's number |
 * |      8 | u16  | width in pixels (raw; 0 for JPEG: read from the JPEG)    |
 * |     10 | u16  | height in pixels (raw; 0 for JPEG)                       |
 * |     12 | u8   | channels: 1, 3 or 4 (raw; 0 for JPEG)                    |
 * |     13 | u8   | reserved, 0                                              |
 * |     14 | u16  | reserved, 0                                              |
 * |     16 | u32  | payload length P in bytes                                |
 * |     20 | u32  | the producer's own frame number, echoed in `credit`     |
 * |     24 | utf8 | optional metrics JSON object of numbers (H - 24 bytes)   |
 * |      H | P    | JPEG file, or width × height × channels values           |
 *
 * Server → producer: JSON text messages ({@link IngestServerMessage}), and,
 * for a producer that serves sessions, binary input frames
 * (producer-sessions.ts).
 */
export const PRODUCER_SUBPROTOCOL = 'framestream.producer.v1';
export const PRODUCER_FRAME_TYPE = 1;
export const PRODUCER_HEADER_BYTES = 24;

export const PRODUCER_FORMATS = { jpeg: 1, uint8: 2, float32: 3 } as const;
export type ProducerFormat = keyof typeof PRODUCER_FORMATS;
const FORMAT_BY_ID: Record<number, ProducerFormat | undefined> = { 1: 'jpeg', 2: 'uint8', 3: 'float32' };

/** Close codes the ingest endpoint uses (besides 1000/1001/1008/1009). */
export const PRODUCER_CLOSE_CODES = {
  /**
   * Refused credentials. The endpoint answers those with HTTP 401 before the
   * handshake; a producer library treats a 4401 close (a proxy or a future
   * server) the same way.
   */
  unauthorized: 4401,
  /** Another producer already feeds this stream. */
  busy: 4409,
  /** A newer producer took over (the stream's `ingest.replace` is on). */
  replaced: 4410,
  /** It sent something the protocol does not allow (bad header, sizes that lie). */
  protocolError: 4400,
  /** The stream's sessions are served by a producer, and this one did not ask to serve them (`?sessions=1`). */
  sessionsRequired: 4412,
} as const;

/** What one producer frame header says. */
export interface ProducerFrameHeader {
  format: ProducerFormat;
  /** 0: the stream's viewers. */
  target: number;
  width: number;
  height: number;
  channels: 0 | 1 | 3 | 4;
  /** The producer's own frame number (u32). */
  frameId: number;
  metrics?: FrameMetrics;
}

export interface DecodedProducerFrame {
  header: ProducerFrameHeader;
  /** A view into the message. */
  payload: Uint8Array;
}

/** Server → producer messages. */
export type IngestServerMessage =
  | {
      type: 'welcome';
      version: 1;
      /** Frames the producer may have in flight before it must wait for a `credit`. */
      credits: number;
      /**
       * Largest frame accepted: a JPEG's bytes, or a raw frame's values
       * (width × height × channels; a float32 frame's payload is 4× that).
       */
      maxFrameBytes: number;
      /** Largest frame width and height accepted, px. */
      maxFrameWidth: number;
      maxFrameHeight: number;
      /** The stream's settings; `fps` is 0: the producer sets the pace, within its credits. */
      stream: { path: string; width: number; height: number; fps: number };
      /** Whether any viewer watches now (see `demand`). */
      watching: boolean;
      /**
       * Only to a producer that asked to serve sessions: whether this stream
       * has sessions for it (`session: 'producer'`).
       */
      sessions?: boolean;
    }
  /**
   * `n` more frames may be sent; `frameId` is the frame that freed them
   * (taken, shown or replaced). `target` is there for a frame sent to a
   * session: each session has its own credits.
   */
  | { type: 'credit'; n: number; frameId: number; target?: number }
  /** Viewers came or all left: a producer may pause its model while `watching` is false. */
  | { type: 'demand'; watching: boolean }
  | { type: 'error'; code: string; message: string }
  | ProducerSessionMessage;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function u16(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`Expected \`${name}\` to be an integer in [0, 65535], got \`${v}\``);
  return v;
}

/**
 * Builds one producer frame message. Throws a `TypeError`/`RangeError`
 * naming the field for anything the header cannot carry.
 */
export function encodeProducerFrame(header: ProducerFrameHeader, payload: Uint8Array): Uint8Array {
  const format = PRODUCER_FORMATS[header.format];
  if (!format) throw new TypeError(`Expected \`format\` to be 'jpeg', 'uint8' or 'float32', got \`${String(header.format)}\``);
  const metricsJson =
    header.metrics && Object.keys(header.metrics).length > 0 ? textEncoder.encode(JSON.stringify(header.metrics)) : new Uint8Array(0);
  const headerLength = PRODUCER_HEADER_BYTES + metricsJson.byteLength;
  if (headerLength > 0xffff) throw new RangeError(`Expected \`metrics\` to serialise to at most ${0xffff - PRODUCER_HEADER_BYTES} bytes`);
  const msg = new Uint8Array(headerLength + payload.byteLength);
  const view = new DataView(msg.buffer, 0, PRODUCER_HEADER_BYTES);
  view.setUint8(0, PRODUCER_FRAME_TYPE);
  view.setUint8(1, format);
  view.setUint16(2, headerLength, true);
  view.setUint32(4, header.target >>> 0, true);
  view.setUint16(8, u16('width', header.width), true);
  view.setUint16(10, u16('height', header.height), true);
  view.setUint8(12, header.channels);
  view.setUint32(16, payload.byteLength, true);
  view.setUint32(20, header.frameId >>> 0, true);
  msg.set(metricsJson, PRODUCER_HEADER_BYTES);
  msg.set(payload, headerLength);
  return msg;
}

function bad(detail: string): never {
  throw new FrameStreamError('ERR_PRODUCER_PROTOCOL', `Malformed producer frame: ${detail}`);
}

/**
 * Reads a producer frame message without trusting any of it: every length
 * is checked against the bytes actually there, so a header that lies is an
 * `ERR_PRODUCER_PROTOCOL` error, never an out-of-bounds read. Sizes against
 * the stream's limits are the server's to check.
 */
export function decodeProducerFrame(bytes: Uint8Array): DecodedProducerFrame {
  if (bytes.byteLength < PRODUCER_HEADER_BYTES) bad(`${bytes.byteLength} bytes, shorter than the ${PRODUCER_HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== PRODUCER_FRAME_TYPE) bad(`unknown message type ${view.getUint8(0)}`);
  const format = FORMAT_BY_ID[view.getUint8(1)] ?? bad(`unknown format ${view.getUint8(1)}`);
  const headerLength = view.getUint16(2, true);
  const payloadLength = view.getUint32(16, true);
  if (headerLength < PRODUCER_HEADER_BYTES) bad(`header length ${headerLength} is below ${PRODUCER_HEADER_BYTES}`);
  if (headerLength + payloadLength !== bytes.byteLength) {
    bad(`header says ${headerLength} + ${payloadLength} bytes, the message has ${bytes.byteLength}`);
  }
  const width = view.getUint16(8, true);
  const height = view.getUint16(10, true);
  const channels = view.getUint8(12);
  if (format !== 'jpeg') {
    if (channels !== 1 && channels !== 3 && channels !== 4) bad(`channels must be 1, 3 or 4, got ${channels}`);
    if (width === 0 || height === 0) bad(`raw frame of size ${width}x${height}`);
    const expected = width * height * channels * (format === 'float32' ? 4 : 1);
    if (payloadLength !== expected) bad(`${width}x${height}x${channels} ${format} needs ${expected} bytes, got ${payloadLength}`);
  }
  const header: ProducerFrameHeader = {
    format,
    target: view.getUint32(4, true),
    width,
    height,
    channels: channels as ProducerFrameHeader['channels'],
    frameId: view.getUint32(20, true),
  };
  if (headerLength > PRODUCER_HEADER_BYTES) {
    let metrics: unknown;
    try {
      metrics = JSON.parse(textDecoder.decode(bytes.subarray(PRODUCER_HEADER_BYTES, headerLength)));
    } catch {
      bad('metrics are not valid JSON');
    }
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) bad('metrics must be a JSON object');
    const clean: FrameMetrics = {};
    for (const [key, n] of Object.entries(metrics)) if (typeof n === 'number' && Number.isFinite(n)) clean[key] = n;
    header.metrics = clean;
  }
  return { header, payload: bytes.subarray(headerLength) };
}

/** Parses a server → producer message; throws `ERR_PRODUCER_PROTOCOL` for anything else. */
export function parseIngestServerMessage(text: string): IngestServerMessage {
  let msg: Record<string, unknown>;
  try {
    msg = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new FrameStreamError('ERR_PRODUCER_PROTOCOL', 'Server message is not valid JSON');
  }
  if (typeof msg !== 'object' || msg === null) throw new FrameStreamError('ERR_PRODUCER_PROTOCOL', 'Server message must be an object');
  switch (msg.type) {
    case 'welcome':
    case 'credit':
    case 'demand':
    case 'error':
    case 'sessionStart':
    case 'sessionParams':
    case 'sessionEnd':
      return msg as unknown as IngestServerMessage;
    default:
      throw new FrameStreamError('ERR_PRODUCER_PROTOCOL', `Unknown server message type ${JSON.stringify(msg.type)?.slice(0, 64)}`);
  }
}
