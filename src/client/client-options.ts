import type { UrlOption } from './url.js';
import type { BackoffOptions, ReconnectPolicy, WebSocketConstructor } from './types.js';

/**
 * Options of `new FrameStreamClient(options)`. Every default is in
 * `CLIENT_DEFAULTS`; all options are checked in the constructor, which throws
 * a `TypeError`/`RangeError` naming the first bad one.
 */
export interface FrameStreamClientOptions extends BackoffOptions {
  /**
   * WebSocket URL of the stream, e.g. `ws://localhost:8080/ws/test/`.
   * `http(s):` URLs become `ws(s):`; in a browser a relative URL such as
   * `/ws/test/` resolves against the page. Required, no default.
   *
   * For several server nodes, an array of URLs: the first attempt goes to
   * the first, and every failed attempt or dropped connection moves on to
   * the next (round robin), so a node that died is not tried first again.
   * Or a function asked before every attempt, which may return a promise
   * (service discovery); what it throws, rejects with or returns that is no
   * URL is an `ERR_HOOK_FAILED` error and counts as a failed attempt.
   * Attempts are counted across URLs: `maxConnectAttempts`, the backoff and
   * `maxRetryTimeMs` see one sequence of attempts, whichever node each went to.
   *
   * @example Fail over between nodes
   * new FrameStreamClient({ url: ['wss://a.example/ws/live/', 'wss://b.example/ws/live/'] });
   * @example Ask a discovery service
   * new FrameStreamClient({ url: async ({ previous }) => (await fetch(`/nodes?avoid=${previous ?? ''}`)).text() });
   */
  url: UrlOption;
  /** Connect as soon as the client is constructed. @default false */
  autoConnect?: boolean;
  /**
   * WebSocket implementation. Defaults to `globalThis.WebSocket`; pass `ws`'s
   * export in Node 20, which has none.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after an abnormal close. @default true */
  reconnect?: boolean;
  /** Custom policy; replaces the backoff options when given. @default createBackoffPolicy(backoff options) */
  reconnectPolicy?: ReconnectPolicy;
  /**
   * Close codes after which the client does not retry but settles in status
   * `error`: by default the server's refusals that retrying cannot fix,
   * 4401 (not authorized) and 4403 (origin not allowed), and the ends of
   * an interactive stream's session, 4001 (the model ended it) and 4408
   * (its time ran out), where reconnecting would only join the queue
   * again. Plain data, so it crosses to a worker (unlike a
   * `reconnectPolicy`). `[]` retries them too.
   * @default [4401, 4403, 4001, 4408]
   */
  stopOnCloseCodes?: readonly number[];
  /**
   * Connection attempts (the first included) that may fail after
   * `connect()` before any connection was made; then the client stops and
   * settles in status `error` with `ERR_RECONNECT_EXHAUSTED`, so a wrong
   * URL or a server that is down shows as a failure instead of endless
   * retries. Once connected, drops are retried per the policy
   * (`maxAttempts`, `maxRetryTimeMs`). `Infinity` never stops.
   * @default 6
   */
  maxConnectAttempts?: number;
  /**
   * Total time the client keeps retrying without a working connection, ms:
   * no retry starts later than this after the outage (or the first attempt)
   * began; then it settles in status `error` with `ERR_RECONNECT_EXHAUSTED`.
   * Applies with the built-in backoff and with a `reconnectPolicy`.
   * @default Infinity
   */
  maxRetryTimeMs?: number;
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
   * bare JPEG messages when the server picks no subprotocol. A handshake that
   * fails (with `ws`, which rejects a server that picks none, or in a browser,
   * which tells no failure from another) is followed at once by one try
   * without asking; when that one opens, the server counts as bare until the
   * next `connect()`. Once a framestream.v1 connection was open, this client
   * never falls back to bare again. `'bare'` asks for no subprotocol at all,
   * like a plain `new WebSocket(url)`.
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
   * A framestream.v1 connection on which nothing (no frame, no pong) arrives
   * for this long counts as dead: the client emits `ERR_HEARTBEAT_TIMEOUT`,
   * drops it and reconnects. Catches a server host that vanished without
   * closing the TCP connection. Counted in ping intervals with no message
   * (so a starved event loop or throttled timers cannot fake it); at least
   * twice `pingInterval`; 0 turns it off.
   * Bare servers are never timed out (they may pause without a word).
   * @default 10000
   */
  idleTimeoutMs?: number;
  /**
   * Input frames (`sendFrame`) sent to an interactive stream and not yet
   * acknowledged by the server, at most; past it a newer frame replaces
   * the one waiting to go (latest wins, never a queue).
   * @default 2
   */
  maxInputInFlight?: number;
  /**
   * Input frames per second `sendFrame` lets through at most; frames
   * offered faster are dropped (`'dropped'`). `Infinity` for no cap.
   * @default 30
   */
  maxInputFps?: number;
  /**
   * Random source in [0, 1) for the backoff jitter; inject one for
   * repeatable delays. Ignored when `reconnectPolicy` is given.
   * @default Math.random
   */
  random?: () => number;
}
