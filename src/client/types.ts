import type { FrameMeta, FrameMetrics, FrameStreamError, FrameStreamErrorCode, ServerMetrics, StreamInfo } from '../protocol/index.js';

/**
 * Connection state of a {@link FrameStreamClient}. `queued`: connected to an
 * interactive stream and waiting for a free session (see
 * `snapshot.session.position`); `connected` once the session is active.
 */
export type ClientStatus = 'disconnected' | 'connecting' | 'queued' | 'connected' | 'reconnecting' | 'error';

/**
 * The viewer's session on an interactive stream (docs/sessions.md), as the
 * server last said it. Plain data: it crosses from a worker unchanged.
 */
export interface SessionState {
  /** Waiting for a free place, running, or over. */
  readonly state: 'queued' | 'active' | 'ended';
  /** Place in the queue while `queued` (1 = next), else `null`. */
  readonly position: number | null;
  /** The session's public id (what spectators name) once active, else `null`. */
  readonly id: string | null;
  /** When the session's time runs out, ms since the epoch on this client's clock; `null` for no limit. */
  readonly expiresAt: number | null;
  /** Watching someone else's session: its input frames and params are refused. */
  readonly spectator: boolean;
  /** Why it ended, once `ended`, else `null`. */
  readonly reason: string | null;
}

/** What a reconnect policy is told before each retry. */
export interface ReconnectContext {
  /** 1 for the first retry after a drop, 2 for the next, … */
  attempt: number;
  /** Close code of the connection that ended (1006 when it never opened). */
  closeCode: number;
  /** Milliseconds since the client last had a working connection, or since it first tried. */
  elapsedMs: number;
}

/**
 * Decides the delay before the next reconnect attempt, in ms; `null` stops
 * reconnecting. Pure: it gets everything it needs in `context`.
 */
export type ReconnectPolicy = (context: ReconnectContext) => number | null;

/** Options for the built-in exponential backoff. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. @default 500 */
  initialDelayMs?: number;
  /** Upper bound for any delay, ms. @default 10000 */
  maxDelayMs?: number;
  /** Each retry waits this many times longer than the last. @default 1.6 */
  growthFactor?: number;
  /** Attempts before giving up; `Infinity` never gives up. @default Infinity */
  maxAttempts?: number;
  /** Fraction of each delay randomised (0 = none, 1 = full jitter). @default 0.5 */
  jitter?: number;
}

/**
 * The minimal WebSocket surface the client uses: the browser's, or `ws`'s.
 * Handler events are typed `any` because each implementation declares its
 * own event classes and function parameters must match exactly; the client
 * reads only `code`/`reason` (close), `data` (message) and `message` (error).
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  onopen: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: `globalThis.WebSocket` or `import WebSocket from 'ws'`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type { UrlContext, UrlOption, UrlProvider } from './url.js';


/**
 * Why the last connection attempt failed, for a UI to show (with a Retry
 * button in status `error`). Plain data: it crosses from a worker unchanged.
 */
export interface ConnectionFailure {
  /** `ERR_UNREACHABLE`, `ERR_UNAUTHORIZED`, `ERR_FORBIDDEN_ORIGIN`, `ERR_TOO_MANY_CLIENTS`, `ERR_SOCKET`, `ERR_SESSION_ENDED`, `ERR_SESSION_TIMEOUT`, … */
  readonly code: FrameStreamErrorCode;
  /** A sentence naming the URL and what went wrong, as in the `error` event. */
  readonly message: string;
  /**
   * The URL the client tried, as resolved (absolute, `ws:`/`wss:`); when a
   * `url` function failed to give one, the URL tried before (`''` if none).
   */
  readonly url: string;
  /** Close code of the failed connection (1006 when it never opened); `null` when no socket could be made. */
  readonly closeCode: number | null;
}

/**
 * An immutable picture of what a UI shows, for React's
 * `useSyncExternalStore`. A new object replaces it only when one of its
 * figures changes (status, once per `fpsInterval` for fps/latency/stats, on
 * each server metrics message), never once per frame.
 */
export interface ClientSnapshot {
  readonly status: ClientStatus;
  /**
   * The node the client is on, as `client.url`: the URL of its connection or
   * attempt (absolute, `ws:`/`wss:`); between attempts the next URL of a
   * list, or the one a `url` function gave last (`null` before its first answer).
   */
  readonly url: string | null;
  /** Frames per second received over the last `fpsInterval`. */
  readonly fps: number;
  /** Rolling latency percentiles, `null` before the first measured frame, for bare servers and while not connected. */
  readonly latency: { readonly p50: number; readonly p95: number } | null;
  /** The last server metrics message on this connection, with the last frame's source metrics; `null` before one came and once the connection ended. */
  readonly metrics: Readonly<ServerMetrics & { source?: FrameMetrics }> | null;
  readonly stats: Readonly<ClientStats>;
  /**
   * The last connection failure (refused, unreachable, closed by the
   * server with a refusal code); `null` before any and once connected again.
   */
  readonly failure: ConnectionFailure | null;
  /**
   * Whether the stream's source is producing, for streams whose frames come
   * from an external producer (the server's `ingest` endpoint): read from
   * the server's metrics message, so known about a second after connecting.
   * `null` for streams that do not report it (a source inside the server),
   * before the first metrics message and once the connection ended.
   */
  readonly source: SourceState | null;
  /**
   * The viewer's session on an interactive stream: queued (with its place),
   * active, or ended (with the reason). `null` on a broadcast stream, before
   * the server said anything about one, and after `disconnect()`. Kept
   * while the client reconnects, since the server keeps the session (and
   * the queue place) for a while and gives it back.
   */
  readonly session: SessionState | null;
}

/**
 * Whether a stream's external producer is connected. While it is not,
 * viewers stay connected and keep the last frame; nothing new arrives.
 */
export interface SourceState {
  /** A producer is connected. */
  readonly online: boolean;
  /**
   * When the source went offline (or the stream started without one), on
   * this client's clock in ms since the epoch: the server's time corrected
   * with the measured clock offset, so it compares with `Date.now()` and
   * reads as local time. `null` while online.
   */
  readonly offlineSince: number | null;
}

/** Figures for latency, capture (server) → receive (client), in ms. */
export interface LatencySample {
  /** This frame's latency, clock-offset corrected. */
  ms: number;
  /** Median over the last `latencyWindow` frames. */
  p50: number;
  /** 95th percentile over the last `latencyWindow` frames. */
  p95: number;
}

/** What {@link FrameStreamClient.getStats} returns: counts since the client was made, figures as of now. */
export interface ClientStats {
  status: ClientStatus;
  /** Frames delivered as `frame` events, over all connections. */
  framesReceived: number;
  /**
   * Frames the stream produced while this client was connected that were
   * lost to it because its connection could not keep up: per connection the
   * larger of the gaps seen in `seq` and the server's `skipped` count (they
   * count the same frames, so they are not added), summed over connections.
   * Frames left out on purpose for this client's FPS cap are not drops (see
   * `framesCapped`); while a cap is in force only the server's count is
   * used, since gaps are then expected. Frames produced while disconnected
   * do not count. Always 0 for a bare-JPEG server. (A server older than the
   * `capped` figure counts capped frames in `skipped`.)
   */
  framesDropped: number;
  /**
   * Frames the server left out on purpose because of this client's FPS cap
   * (`setMaxFps`/`maxFps`), from its metrics' `capped`, summed over
   * connections. 0 for servers that do not report it.
   */
  framesCapped: number;
  /** Bytes of binary messages received (headers included). */
  bytesReceived: number;
  /** Frames per second over the last `fpsInterval`; 0 while disconnected. */
  fps: number;
  /** Rolling latency percentiles over this connection's frames; `null` before the first measured frame and while not connected. */
  latency: { p50: number; p95: number } | null;
  /** Server clock minus client clock, ms, from ping/pong; `null` until measured. */
  clockOffsetMs: number | null;
  /**
   * How far `clockOffsetMs`, and so every latency, can be off, ms: half the
   * round trip of the ping it comes from. `null` until a pong came back.
   */
  clockOffsetErrorMs: number | null;
  /** Reconnect attempts since the last stable connection; 0 once a connection has stayed up `stableAfterMs`. */
  reconnectAttempt: number;
  /** The stream's settings from the server's hello, `null` for a bare-JPEG server. */
  stream: StreamInfo | null;
  /** `true` when the server speaks framestream.v1, `false` for a bare-JPEG server. */
  framed: boolean | null;
  /**
   * On an interactive stream: input frame captured → output frame answering
   * it received, ms, rolling median and 95th percentile over the last
   * `latencyWindow` answered inputs of this connection; `null` before one
   * was measured and while not connected. Add the time to decode and paint
   * for what the user sees.
   */
  roundTrip: { p50: number; p95: number } | null;
  /** Input frames sent and not yet acknowledged by the server (at most `maxInputInFlight`). */
  inputInFlight: number;
}

/** A received frame. `data` is a view into the message; copy it to keep it past the handler. */
export interface Frame extends FrameMeta {
  data: Uint8Array;
  /** When it arrived, client wall clock, ms since the epoch. */
  receivedTime: number;
  /**
   * Capture → receive latency in ms (clock-offset corrected); `null` for bare
   * JPEG servers, and for frames that arrive before the first clock estimate.
   */
  latencyMs: number | null;
  /** On an interactive stream, the input frame this frame answers (its `metrics.inputSeq`), else `null`. */
  inputSeq: number | null;
  /**
   * Capture of that input frame → receipt of this frame, ms, when the input
   * was this client's and this is the first frame answering it; else `null`.
   */
  roundTripMs: number | null;
}

/** Every event a {@link FrameStreamClient} emits, in one place. */
export interface FrameStreamEvents {
  /** The status changed (also readable as `client.status`). */
  status: (status: ClientStatus) => void;
  /** A connection became usable: after `hello` (framestream.v1) or at once (bare). */
  open: (info: { framed: boolean; stream: StreamInfo | null; url: string }) => void;
  /** A frame arrived. `frame.data` is a view into the message; copy it to keep it past the handler. */
  frame: (frame: Frame) => void;
  /** Frames per second received, once per `fpsInterval` while connected. */
  fps: (fps: number) => void;
  /** Per frame from a framestream.v1 server: its latency and the rolling p50/p95. */
  latency: (sample: LatencySample) => void;
  /** The server's metrics message (about once a second), with the last frame's source metrics as `source`. */
  metrics: (metrics: ServerMetrics & { source?: FrameMetrics }) => void;
  /**
   * The stream's source went offline or came back (`snapshot.source`
   * changed); `null` once the connection ended or for a stream that stopped
   * reporting it.
   */
  source: (source: SourceState | null) => void;
  /**
   * The session on an interactive stream changed (`snapshot.session`):
   * queued with a new position, active, or ended with the reason. `null`
   * once forgotten (`disconnect()`).
   */
  session: (session: SessionState | null) => void;
  /** A retry is scheduled: the attempt number (1, 2, …) and the delay before it. */
  reconnecting: (info: { attempt: number; delayMs: number }) => void;
  /** App-defined data the server sent with `{ type: 'control', data }`. */
  control: (data: unknown) => void;
  /** A runtime failure; the client carries on (see `docs/client.md` for the codes). */
  error: (error: FrameStreamError) => void;
  /** A connection ended (also a failed attempt, with 1006). */
  close: (info: { code: number; reason: string }) => void;
}
