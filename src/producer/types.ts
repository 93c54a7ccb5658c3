import type { FrameMetrics, FrameStreamError } from '../protocol/index.js';
import type { BackoffOptions } from '../client/types.js';

/**
 * Where a {@link FrameProducer} is:
 * - `idle`: constructed with `autoConnect: false`, `connect()` not called yet;
 * - `connecting`: the first attempt since `connect()` is under way;
 * - `open`: admitted (the server's `welcome` arrived), frames flow;
 * - `reconnecting`: the connection ended and a retry is scheduled or under way;
 * - `closed`: `close()` was called, or the server refused it for good.
 */
export type ProducerStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Raw pixels, interleaved and row-major: uint8 (0-255) or float32 (0-1). */
export interface RawProducerFrame {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  /** Pixels, an integer in [1, 65535]. */
  width: number;
  /** Pixels, an integer in [1, 65535]. */
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
}

/**
 * One frame for {@link FrameProducer.send}: a complete JPEG file (forwarded
 * to viewers as it is) or raw pixels (encoded once by the server).
 */
export type ProducerFrame = Uint8Array | RawProducerFrame;

/** What the server said when it admitted the producer (its `welcome`). */
export interface ProducerWelcome {
  /** Frames the producer may have in flight before it waits for a `credit`. */
  credits: number;
  /** The largest frame payload the server accepts, bytes. */
  maxFrameBytes: number;
  /** The stream's settings, as viewers get them. */
  stream: { path: string; width: number; height: number; fps: number };
  /** Whether anyone watches now. */
  watching: boolean;
  /** With `sessions: true`: whether the stream has sessions for this producer to serve (`session: 'producer'`). */
  sessions: boolean;
}

/**
 * A viewer session the producer serves (`sessions: true`): send its frames
 * with {@link FrameProducer.sendTo}. The same object is passed to every
 * event about it; `params` is replaced on each `sessionParams`.
 */
export interface ProducerSession {
  /** Its number on this server: what frames are addressed to (never 0). */
  readonly target: number;
  /** Its public id; the same after a reconnect, so state kept by id survives one. */
  readonly id: string;
  /** The viewer's latest params; `{}` before any. */
  params: Record<string, unknown>;
  /** What the server chose to share about the viewer (`ingest.sessionInfo`), or `null`. */
  readonly viewer: unknown;
  /** Server wall clock when the session ends at the latest, or `null`. */
  readonly expiresAt: number | null;
}

/** One input frame from a session's viewer (its camera), as the viewer's browser encoded it. */
export interface SessionInput {
  /** The viewer's sequence number; name it as `inputSeq` in the answer's metrics. */
  seq: number;
  width: number;
  height: number;
  /** When the viewer captured it, ms since the epoch, the viewer's clock. */
  captureTime: number;
  /** One complete JPEG file, the viewer's bytes unchanged (a view; copy it to keep it past the event). */
  data: Uint8Array;
}

/** Why a connection (or an attempt at one) ended, and what happens next. */
export interface ProducerCloseInfo {
  /** WebSocket close code; 1006 when the socket never opened or dropped without one. */
  code: number;
  /** The server's close reason, the HTTP status of a refused handshake, or the network error. */
  reason: string;
  /** HTTP status when the server answered the handshake with something other than 101. */
  httpStatus?: number;
  /** Delay before the next attempt, ms; `null` when the producer stops here. */
  reconnectInMs: number | null;
}

/** Every event a {@link FrameProducer} emits, in one map. */
export interface FrameProducerEvents {
  /** Admitted by the server: frames flow from now on. */
  open: (welcome: ProducerWelcome) => void;
  /** A connection or an attempt ended; `info.reconnectInMs` says whether another follows. */
  close: (info: ProducerCloseInfo) => void;
  /**
   * A runtime failure: `ERR_PRODUCER_REFUSED` (token refused, or replaced by a
   * newer producer: it stops), `ERR_PRODUCER_BUSY` (another producer feeds the
   * stream: it retries slowly), `ERR_RECONNECT_EXHAUSTED`, the server's own
   * `error` messages (`ERR_INVALID_FRAME`, `ERR_PRODUCER_PROTOCOL`), and
   * `ERR_HOOK_FAILED` when a listener threw. Never thrown.
   */
  error: (err: FrameStreamError) => void;
  /** Viewers came (`true`) or all left (`false`): a model may pause while nobody watches. */
  demand: (watching: boolean) => void;
  /** Credits came back; `available` frames may be sent now. */
  credit: (available: number) => void;
  /**
   * With `sessions: true`: a viewer session started, or (after a reconnect)
   * is still running and is served by this connection from now on.
   */
  sessionStart: (session: ProducerSession) => void;
  /** The session's viewer sent new params (also in `session.params`). */
  sessionParams: (session: ProducerSession, params: Record<string, unknown>) => void;
  /**
   * The session's viewer sent a camera frame. Only the newest reaches a
   * producer slower than the camera: the server drops older ones.
   */
  sessionInput: (session: ProducerSession, input: SessionInput) => void;
  /**
   * The session ended, or this connection ended (the session may well go
   * on: the next connection is told of it again with `sessionStart`).
   */
  sessionEnd: (session: ProducerSession, reason: string) => void;
}

/** A `ws`-compatible socket: the surface the producer uses. */
export interface ProducerSocket {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: lets the producer read a refused handshake's status and `Retry-After`. */
  on?(event: 'unexpected-response', listener: (req: any, res: any) => void): unknown;
  /** `ws` only: drops the connection at once. */
  terminate?(): void;
}

/**
 * A WebSocket constructor that takes `ws`'s third argument (headers and a
 * handshake timeout): `ws`'s default export, or a subclass of it.
 */
export type ProducerWebSocketConstructor = new (
  url: string,
  protocols: string | string[],
  options: { headers: Record<string, string>; handshakeTimeout: number },
) => ProducerSocket;

/**
 * Options of `new FrameProducer(options)`. Every default is in
 * `PRODUCER_DEFAULTS`; all options are checked in the constructor, which
 * throws a `TypeError`/`RangeError` naming the first bad one.
 */
export interface FrameProducerOptions extends BackoffOptions {
  /** The stream's ingest endpoint, e.g. `ws://localhost:8080/ingest/model`. Required. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. @default undefined */
  token?: string;
  /** More handshake headers. @default {} */
  headers?: Record<string, string>;
  /** WebSocket implementation. @default WebSocket from 'ws' */
  WebSocket?: ProducerWebSocketConstructor;
  /**
   * Connect in the constructor. On by default, unlike the viewer client: a
   * producer exists to send, and frames sent before it is admitted wait
   * (the newest one only) until it is.
   * @default true
   */
  autoConnect?: boolean;
  /** Reconnect after the server drops or restarts. @default true */
  reconnect?: boolean;
  /** Least delay before retrying when another producer holds the stream (4409), ms. @default 5000 */
  busyRetryMs?: number;
  /** Time the server has to answer the handshake, ms; 0 waits as long as the network does. @default 10000 */
  handshakeTimeoutMs?: number;
  /**
   * Serve the stream's viewer sessions (a stream created with `session:
   * 'producer'`): connects with `?sessions=1`, emits the `session*` events,
   * and takes frames for a session with `sendTo()`. A stream of that kind
   * refuses a producer without it.
   * @default false
   */
  sessions?: boolean;
}

export type { FrameMetrics };
