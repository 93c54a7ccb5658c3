import type { FrameMeta, FrameMetrics, FrameStreamError, ServerMetrics, StreamInfo } from '../protocol/index.js';

/** Connection state of a {@link FrameStreamClient}. */
export type ClientStatus = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'error';

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

export interface FrameStreamClientOptions extends BackoffOptions {
  /** WebSocket URL of the stream, e.g. `ws://localhost:8080/ws/test/`. */
  url: string;
  /** Connect as soon as the client is constructed. @default false */
  autoConnect?: boolean;
  /**
   * WebSocket implementation. Defaults to `globalThis.WebSocket`; pass `ws`'s
   * export in Node 20, which has none.
   */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after an abnormal close. @default true */
  reconnect?: boolean;
  /** Custom policy; replaces the backoff options when given. */
  reconnectPolicy?: ReconnectPolicy;
  /**
   * A connection must stay up this long before the attempt counter resets,
   * so a server that accepts and drops at once is not hammered. @default 5000
   */
  stableAfterMs?: number;
  /** How often `fps` is emitted, ms. @default 1000 */
  fpsInterval?: number;
  /** How often to ping for the clock-offset estimate, ms. @default 2000 */
  pingInterval?: number;
  /** Ask the server for at most this many frames per second. @default undefined (no cap) */
  maxFps?: number;
  /** Frames kept for the rolling latency percentiles. @default 120 */
  latencyWindow?: number;
  /**
   * Which wire format to ask for. `'auto'` asks for `framestream.v1` and reads
   * bare JPEG messages when the server picks no subprotocol (with `ws`, whose
   * handshake rejects that, it reconnects once without asking). `'bare'` asks
   * for no subprotocol at all, like a plain `new WebSocket(url)`.
   * @default 'auto'
   */
  mode?: 'auto' | 'bare';
  /**
   * How long a `framestream.v1` connection may take to send its `hello`
   * before it counts as connected anyway (with `stream: null`), ms. The first
   * frame also ends the wait.
   * @default 5000
   */
  helloTimeoutMs?: number;
  /**
   * Random source in [0, 1) for the backoff jitter; inject one for
   * repeatable delays. Ignored when `reconnectPolicy` is given.
   * @default Math.random
   */
  random?: () => number;
}

/**
 * An immutable picture of what a UI shows, for React's
 * `useSyncExternalStore`. A new object replaces it only when one of its
 * figures changes (status, once per `fpsInterval` for fps/latency/stats, on
 * each server metrics message), never once per frame.
 */
export interface ClientSnapshot {
  readonly status: ClientStatus;
  /** Frames per second received over the last `fpsInterval`. */
  readonly fps: number;
  /** Rolling latency percentiles, `null` before the first measured frame and for bare servers. */
  readonly latency: { readonly p50: number; readonly p95: number } | null;
  /** The last server metrics message, with the last frame's source metrics; `null` before one came. */
  readonly metrics: Readonly<ServerMetrics & { source?: FrameMetrics }> | null;
  readonly stats: Readonly<ClientStats>;
}

/** Figures for latency, capture (server) → receive (client), in ms. */
export interface LatencySample {
  /** This frame's latency, clock-offset corrected. */
  ms: number;
  p50: number;
  p95: number;
}

export interface ClientStats {
  status: ClientStatus;
  framesReceived: number;
  /** Frames the server reported skipping for this client plus gaps seen in `seq`. */
  framesDropped: number;
  bytesReceived: number;
  fps: number;
  latency: { p50: number; p95: number } | null;
  /** Server clock minus client clock, ms, from ping/pong; `null` until measured. */
  clockOffsetMs: number | null;
  reconnectAttempt: number;
  /** The stream's settings from the server's hello, `null` for a bare-JPEG server. */
  stream: StreamInfo | null;
  /** `true` when the server speaks framestream.v1, `false` for a bare-JPEG server. */
  framed: boolean | null;
}

/** A received frame. `data` is a view into the message; copy it to keep it past the handler. */
export interface Frame extends FrameMeta {
  data: Uint8Array;
  /** When it arrived, client wall clock, ms since the epoch. */
  receivedTime: number;
  /** Capture → receive latency in ms (clock-offset corrected); `null` for bare JPEG servers. */
  latencyMs: number | null;
}

/** Every event a {@link FrameStreamClient} emits, in one place. */
export interface FrameStreamEvents {
  status: (status: ClientStatus) => void;
  open: (info: { framed: boolean; stream: StreamInfo | null }) => void;
  frame: (frame: Frame) => void;
  fps: (fps: number) => void;
  latency: (sample: LatencySample) => void;
  metrics: (metrics: ServerMetrics & { source?: FrameMetrics }) => void;
  reconnecting: (info: { attempt: number; delayMs: number }) => void;
  control: (data: unknown) => void;
  error: (error: FrameStreamError) => void;
  close: (info: { code: number; reason: string }) => void;
}
