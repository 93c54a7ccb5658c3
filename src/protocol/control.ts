import { FrameStreamError } from './errors.js';
import type { FrameCodec } from './frame.js';
import type { InputAckMessage, ParamsMessage, SessionMessage } from './session.js';

/**
 * JSON text messages of subprotocol `framestream.v1` (docs/protocol.md).
 * Binary messages carry frames; text messages carry everything else.
 */

/** What the server says about its stream in `hello`. */
export interface StreamInfo {
  width: number;
  height: number;
  /**
   * Frames per second the stream produces; 0 means the source sets the pace
   * (a push stream). Never divide by it.
   */
  fps: number;
  codec: FrameCodec;
  /** JPEG quality 1-100, when the server encodes. */
  quality?: number;
  /** Name of the source: `noise`, `push`, `iterable`, or an app-defined name. */
  source: string;
}

/** Stream-wide figures the server sends about once a second. */
export interface ServerMetrics {
  /** Frames per second the stream actually produced over the last window. */
  fps: number;
  /** Median encode time over the last window, ms. */
  encodeMs?: number;
  /** Median source time (e.g. model inference) over the last window, ms. */
  inferenceMs?: number;
  /** Viewers connected to this stream. */
  viewers: number;
  /** Frames this connection was not sent because its socket was still behind (lost to the viewer). */
  skipped: number;
  /** Frames this connection was not sent because of its own FPS cap (skipped on purpose, not lost). */
  capped?: number;
  /** Size of the last frame's payload in bytes. */
  frameBytes?: number;
  /** Any other number the app or source reported. */
  [key: string]: number | undefined;
}

export type ServerMessage =
  | {
      type: 'hello';
      version: 1;
      stream: StreamInfo;
      /** The per-connection FPS cap in force, `null` for none. */
      maxFps: number | null;
      serverTime: number;
    }
  | {
      type: 'pong';
      id: number;
      clientTime: number;
      serverTime: number;
      /**
       * Bytes already waiting in the server's socket when the pong was
       * queued (frames it must wait behind). A sample with a queue ahead of
       * it overstates the server→client leg and biases the clock offset.
       */
      queuedBytes?: number;
    }
  | { type: 'metrics'; metrics: ServerMetrics }
  | { type: 'error'; code: string; message: string }
  | { type: 'control'; data: unknown }
  | SessionMessage
  | InputAckMessage;

export type ClientMessage =
  | { type: 'ping'; id: number; clientTime: number }
  /** Ask for at most `fps` frames per second on this connection; `null` removes the cap. */
  | { type: 'setMaxFps'; fps: number | null }
  /** App-defined message, handed to the server's `onControl` hook. */
  | { type: 'control'; data: unknown }
  | ParamsMessage;

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new FrameStreamError('ERR_CONTROL_JSON', 'Control message is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FrameStreamError('ERR_CONTROL_INVALID', 'Control message must be a JSON object');
  }
  return value as Record<string, unknown>;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function invalid(type: string, detail: string): never {
  throw new FrameStreamError('ERR_CONTROL_INVALID', `Invalid \`${type}\` message: ${detail}`);
}

/**
 * Parses and validates a client→server text message. Throws a
 * {@link FrameStreamError} (`ERR_CONTROL_*`) for anything else; the server
 * reports it and keeps the connection.
 */
export function parseClientMessage(text: string): ClientMessage {
  const msg = parseJsonObject(text);
  switch (msg.type) {
    case 'ping':
      if (!isFiniteNumber(msg.id)) invalid('ping', '`id` must be a finite number');
      if (!isFiniteNumber(msg.clientTime)) invalid('ping', '`clientTime` must be a finite number');
      return { type: 'ping', id: msg.id, clientTime: msg.clientTime };
    case 'setMaxFps':
      if (msg.fps !== null && !(isFiniteNumber(msg.fps) && msg.fps > 0)) {
        invalid('setMaxFps', '`fps` must be a positive number or null');
      }
      return { type: 'setMaxFps', fps: msg.fps as number | null };
    case 'control':
      return { type: 'control', data: msg.data };
    case 'params':
      if (typeof msg.params !== 'object' || msg.params === null || Array.isArray(msg.params)) {
        invalid('params', '`params` must be a JSON object');
      }
      return { type: 'params', params: msg.params as Record<string, unknown> };
    default:
      throw new FrameStreamError(
        'ERR_CONTROL_UNKNOWN_TYPE',
        `Unknown control message type ${JSON.stringify(msg.type)?.slice(0, 64)}`,
      );
  }
}

/**
 * Parses and validates a server→client text message. Throws a
 * {@link FrameStreamError} (`ERR_CONTROL_*`) for anything else; the client
 * emits it as an `error` event and keeps the connection.
 */
export function parseServerMessage(text: string): ServerMessage {
  const msg = parseJsonObject(text);
  switch (msg.type) {
    case 'hello': {
      const stream = msg.stream as Record<string, unknown> | undefined;
      if (typeof stream !== 'object' || stream === null) invalid('hello', '`stream` missing');
      if (!isFiniteNumber(stream.width) || !isFiniteNumber(stream.height) || !isFiniteNumber(stream.fps)) {
        invalid('hello', '`stream.width`, `stream.height` and `stream.fps` must be numbers');
      }
      if (!isFiniteNumber(msg.serverTime)) invalid('hello', '`serverTime` must be a number');
      if (msg.maxFps !== null && !isFiniteNumber(msg.maxFps)) invalid('hello', '`maxFps` must be a number or null');
      return msg as ServerMessage;
    }
    case 'pong':
      if (!isFiniteNumber(msg.id) || !isFiniteNumber(msg.clientTime) || !isFiniteNumber(msg.serverTime)) {
        invalid('pong', '`id`, `clientTime` and `serverTime` must be finite numbers');
      }
      return msg as ServerMessage;
    case 'metrics':
      if (typeof msg.metrics !== 'object' || msg.metrics === null) invalid('metrics', '`metrics` missing');
      return msg as ServerMessage;
    case 'error':
      if (typeof msg.code !== 'string' || typeof msg.message !== 'string') {
        invalid('error', '`code` and `message` must be strings');
      }
      return msg as ServerMessage;
    case 'control':
      return { type: 'control', data: msg.data };
    case 'session':
      if (msg.state === 'queued') {
        if (!isFiniteNumber(msg.position) || typeof msg.token !== 'string') invalid('session', 'a queued session needs `position` and `token`');
      } else if (msg.state === 'active') {
        if (typeof msg.id !== 'string' || typeof msg.token !== 'string') invalid('session', 'an active session needs `id` and `token`');
        if (msg.expiresAt !== null && !isFiniteNumber(msg.expiresAt)) invalid('session', '`expiresAt` must be a number or null');
      } else if (msg.state === 'ended') {
        if (typeof msg.reason !== 'string') invalid('session', 'an ended session needs a `reason`');
      } else {
        invalid('session', '`state` must be queued, active or ended');
      }
      return msg as ServerMessage;
    case 'inputAck':
      if (!isFiniteNumber(msg.seq)) invalid('inputAck', '`seq` must be a number');
      return { type: 'inputAck', seq: msg.seq };
    default:
      throw new FrameStreamError(
        'ERR_CONTROL_UNKNOWN_TYPE',
        `Unknown control message type ${JSON.stringify(msg.type)?.slice(0, 64)}`,
      );
  }
}
