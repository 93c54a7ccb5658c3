import {
  decodeFrameMessage,
  FrameStreamError,
  isFrameStreamError,
  parseServerMessage,
  wallClockMs,
  type FrameMetrics,
  type FrameStreamErrorCode,
  type ServerMetrics,
  type SessionMessage,
  type StreamInfo,
} from '../protocol/index.js';
import type { EventEmitter } from 'eventemitter3';
import { readJpegSize } from '../protocol/jpeg.js';
import type { StreamStats } from './stats.js';
import type { Frame, FrameStreamEvents } from './types.js';

/** The part of the client the message handlers may touch. */
export interface Receiver {
  framed(): boolean;
  stats(): StreamStats;
  /** Whether anyone listens for `latency`; percentiles are only worked out per frame if so. */
  wantsLatency(): boolean;
  /** Marks the connection usable (first hello or frame). */
  establish(): void;
  /** A pong was recorded. */
  pong(): void;
  /** Emits to the app; a throwing listener cannot reach back in here. */
  emit<E extends keyof FrameStreamEvents>(event: E, ...args: EventEmitter.EventArgs<FrameStreamEvents, E>): void;
  setStream(stream: StreamInfo): void;
  setSourceMetrics(metrics: FrameMetrics): void;
  setServerMetrics(metrics: ServerMetrics): void;
  /** A `session` message (interactive streams). */
  session(msg: SessionMessage): void;
  /** The server took input frames up to `seq`. */
  inputAck(seq: number): void;
  /** The server sent an `error` message with this code. */
  serverError(code: string): void;
  /** An output frame names the input it answers: returns that and the round trip. */
  answered(inputSeq: unknown): { inputSeq: number | null; roundTripMs: number | null };
}

/**
 * Handles one WebSocket message. Nothing here throws: a message that cannot
 * be read becomes an `error` event with a protocol code, and the connection
 * goes on with the next one.
 */
export function handleMessage(rx: Receiver, data: unknown): void {
  const receivedTime = wallClockMs();
  if (typeof data === 'string') return handleText(rx, data, receivedTime);
  const bytes = toBytes(data);
  if (!bytes) {
    const what = Object.prototype.toString.call(data);
    return rx.emit('error', new FrameStreamError('ERR_FRAME_UNKNOWN_TYPE', `Cannot read a binary message of type ${what}`));
  }
  if (rx.framed()) handleFrame(rx, bytes, receivedTime);
  else handleBareJpeg(rx, bytes, receivedTime);
}

/**
 * `binaryType = 'arraybuffer'` gives an ArrayBuffer in browsers and with
 * `ws`; views are accepted too for implementations that ignore binaryType.
 * The tag check works across realms, where `instanceof` does not.
 */
function toBytes(data: unknown): Uint8Array | null {
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') return new Uint8Array(data as ArrayBuffer);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function handleFrame(rx: Receiver, bytes: Uint8Array, receivedTime: number): void {
  let decoded;
  try {
    decoded = decodeFrameMessage(bytes);
  } catch (err) {
    return rx.emit('error', asStreamError(err, 'ERR_FRAME_HEADER'));
  }
  const { meta, payload } = decoded;
  rx.establish();
  const stats = rx.stats();
  const latencyMs = stats.recordFrame(meta.seq, bytes.byteLength, meta.captureTime, receivedTime);
  if (meta.metrics) rx.setSourceMetrics(meta.metrics);
  const answer = rx.answered(meta.metrics?.inputSeq);
  const frame: Frame = { ...meta, data: payload, receivedTime, latencyMs, ...answer };
  rx.emit('frame', frame);
  if (latencyMs !== null && rx.wantsLatency()) {
    const { p50, p95 } = stats.latencyPercentiles()!;
    rx.emit('latency', { ms: latencyMs, p50, p95 });
  }
}

/**
 * A server without the subprotocol (the FastAPI app this package grew from)
 * sends each frame as one bare JPEG: no header, so `seq` is counted here,
 * capture time is the arrival time, size comes from the JPEG itself and
 * latency is unknown.
 */
function handleBareJpeg(rx: Receiver, bytes: Uint8Array, receivedTime: number): void {
  // Only the SOI marker is checked: some encoders pad after EOI and
  // browsers decode such files fine.
  if (!(bytes.byteLength >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)) {
    return rx.emit('error', new FrameStreamError('ERR_INVALID_FRAME', `Binary message of ${bytes.byteLength} bytes is not a JPEG`));
  }
  const size = readJpegSize(bytes) ?? { width: 0, height: 0 };
  const stats = rx.stats();
  const seq = stats.nextLocalSeq();
  stats.recordFrame(seq, bytes.byteLength, null, receivedTime);
  const frame: Frame = {
    seq,
    captureTime: receivedTime,
    encodedTime: receivedTime,
    width: size.width,
    height: size.height,
    codec: 'jpeg',
    data: bytes,
    receivedTime,
    latencyMs: null,
    inputSeq: null,
    roundTripMs: null,
  };
  rx.emit('frame', frame);
}

function handleText(rx: Receiver, text: string, receivedTime: number): void {
  let msg;
  try {
    msg = parseServerMessage(text);
  } catch (err) {
    return rx.emit('error', asStreamError(err, 'ERR_CONTROL_INVALID'));
  }
  const stats = rx.stats();
  switch (msg.type) {
    case 'hello':
      stats.clock.addOneWay(msg.serverTime, receivedTime);
      rx.setStream(msg.stream);
      // An interactive stream's connection is usable once its session
      // message says queued or active (which status to show); the hello
      // timeout still ends the wait.
      if (msg.stream.source !== 'session') rx.establish();
      return;
    case 'pong':
      stats.clock.addRoundTrip(msg.clientTime, msg.serverTime, receivedTime, msg.queuedBytes);
      return rx.pong();
    case 'metrics':
      return rx.setServerMetrics(msg.metrics);
    case 'error':
      rx.serverError(msg.code);
      // The server's codes are the same list as ours.
      return rx.emit('error', new FrameStreamError(msg.code as FrameStreamErrorCode, msg.message));
    case 'control':
      return rx.emit('control', msg.data);
    case 'session':
      return rx.session(msg);
    case 'inputAck':
      return rx.inputAck(msg.seq);
  }
}

function asStreamError(err: unknown, fallback: FrameStreamErrorCode): FrameStreamError {
  if (isFrameStreamError(err)) return err;
  return new FrameStreamError(fallback, err instanceof Error ? err.message : String(err), { cause: err });
}

/** The server's metrics with the last frame's source metrics as `source`, left out when there are none. */
export function withSourceMetrics(metrics: ServerMetrics, source: FrameMetrics | undefined): ServerMetrics & { source?: FrameMetrics } {
  // ServerMetrics' index signature admits only numbers, hence the cast.
  const merged = { ...metrics, source } as ServerMetrics & { source?: FrameMetrics };
  if (!merged.source) delete merged.source;
  return merged;
}
