import { Server as HttpServer, type IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { rejectUnknownKeys } from '../protocol/suggest.js';
import { isFrameStreamHub, type FrameStreamHub } from './cluster/hub.js';
import { resolveIngest, type IngestOptions, type ResolvedIngest } from './ingest/options.js';
import { resolveSessions, SESSION_DEFAULTS, type ResolvedSessions, type SessionOptions } from './sessions/options.js';
import type { FrameSource, ViewerHandle } from './types.js';
import { normalizePath } from './http/host.js';
import { integer, show, urlPath } from './validate.js';

export type { IngestOptions } from './ingest/options.js';

/** Options of {@link createFrameStreamServer}. Only `server` is required. */
export interface FrameStreamServerOptions extends SessionOptions {
  /** The host's `http.Server` or `https.Server` (Express: the `listen()` result; Fastify: `fastify.server`). */
  server: HttpServer | HttpsServer;
  /**
   * WebSocket path, matched with and without a trailing slash.
   * @default '/ws/test/'
   */
  path?: string;
  /**
   * Path answering `GET` with the current frame as `image/jpeg`; `false` turns it off.
   * On by default only for the default `path`, whose test stream it belongs
   * to: a stream on a path of its own (often a model's) exposes its frames
   * over plain `GET` only when the app names a route for them, and two
   * streams never collide on one default route.
   * @default '/test/random' with the default `path`, otherwise `false`
   */
  snapshotPath?: string | false;
  /**
   * Where frames come from (see {@link FrameSource}).
   * @default 'noise'
   */
  source?: FrameSource;
  /**
   * Width of the built-in sources' frames, px.
   * @default 512
   */
  width?: number;
  /**
   * Height of the built-in sources' frames, px.
   * @default 512
   */
  height?: number;
  /**
   * Frames per second the stream produces (built-in and iterable sources).
   * @default 30
   */
  fps?: number;
  /**
   * JPEG quality, 1-100, for frames the server encodes.
   * @default 90
   */
  quality?: number;
  /**
   * Produce frames even with no viewer connected.
   * @default false
   */
  alwaysOn?: boolean;
  /**
   * How often to ping each viewer, ms; a viewer that has not answered the
   * previous ping is terminated (half-open TCP). `0` disables.
   * @default 30000
   */
  heartbeatInterval?: number;
  /**
   * Decides whether an upgrade or snapshot request may proceed. `true` admits
   * it; an object admits it and says who the viewer is (it becomes
   * `viewer.identity` in events); `false` refuses (HTTP 401, or close code
   * 4401 for framestream clients). A throw or rejection answers 500 and emits
   * `error` (`ERR_HOOK_FAILED`).
   * @default undefined (everyone)
   */
  authorize?: (req: IncomingMessage) => boolean | object | Promise<boolean | object>;
  /**
   * Origins allowed to connect and to read snapshots (CORS): `'*'`, a list,
   * a function, or `'same-origin'` (the page's origin must name the host the
   * request was sent to). Requests without an `Origin` header (non-browser
   * clients) pass a list and `'same-origin'`; a function sees `undefined`.
   *
   * With `authorize` set the default is `'same-origin'`: `authorize` usually
   * reads the user's cookies, which a browser also sends when another site's
   * page opens the socket (cross-site WebSocket hijacking). Pass `'*'` to
   * allow every site on purpose.
   * @default '*' without `authorize`, `'same-origin'` with it
   */
  allowedOrigins?: '*' | 'same-origin' | string[] | ((origin: string | undefined) => boolean);
  /**
   * Most viewers at once; further upgrades are refused (HTTP 503, or close
   * code 4503 for framestream clients).
   * @default 1000
   */
  maxViewers?: number;
  /** @deprecated The old name of {@link maxViewers}. */
  maxClients?: number;
  /**
   * Largest client→server message, bytes; a larger one closes the connection with 1009.
   * @default 16384
   */
  maxPayload?: number;
  /**
   * Token bucket for client→server messages, per connection. Going over sends
   * an `ERR_CONTROL_RATE_LIMITED` error message; going over by another full
   * bucket closes the connection with 1008.
   * @default { messages: 50, perMs: 1000 }
   */
  controlRateLimit?: { messages: number; perMs: number };
  /**
   * How long `authorize()` may take, ms, before the request is answered 503.
   * @default 10000
   */
  handshakeTimeout?: number;
  /**
   * How long an iterable source's `next()` may take, ms, before the stream
   * emits `error` (`ERR_SOURCE_TIMEOUT`), once per call. The call is still
   * awaited, so a slow model is reported but not cut off.
   * @default 10000
   */
  sourceTimeout?: number;
  /**
   * Largest frame width `push()` and sources accept, px.
   * @default 8192
   */
  maxFrameWidth?: number;
  /**
   * Largest frame height `push()` and sources accept, px.
   * @default 8192
   */
  maxFrameHeight?: number;
  /**
   * Largest frame `push()` and sources accept, bytes (JPEG bytes or raw pixel bytes).
   * @default 33554432 (32 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Called for every `{ type: 'control', data }` message (e.g. a prompt for a
   * diffusion model), besides the `control` event. A throw or rejection emits
   * `error` (`ERR_HOOK_FAILED`) and the connection stays.
   * @default undefined
   */
  onControl?: (data: unknown, viewer: ViewerHandle) => void | Promise<void>;
  /**
   * Opens an ingest endpoint: frames come from a producer in another
   * process or language (docs/producers.md), and the stream's source is that
   * producer. Needs `token` or `authorizeProducer`.
   * @default undefined (no ingest endpoint)
   */
  ingest?: IngestOptions;
  /**
   * Joins this stream with the same stream (same `path`) on other
   * processes, so nodes behind a load balancer serve one stream: frames
   * are made once in the cluster and every node's viewers get them
   * (docs/scaling.md). Create one with `redisHub()` from `framestream/redis`.
   * @default undefined (this process alone)
   */
  hub?: FrameStreamHub;
}

const DEFAULT_PATH = '/ws/test/';
const DEFAULT_SNAPSHOT_PATH = '/test/random';

/** Every option's default; frozen, so no app can change another's defaults by accident. */
export const DEFAULTS = Object.freeze({
  path: DEFAULT_PATH,
  snapshotPath: DEFAULT_SNAPSHOT_PATH as string | false,
  source: 'noise' as FrameSource,
  width: 512,
  height: 512,
  fps: 30,
  quality: 90,
  alwaysOn: false,
  heartbeatInterval: 30_000,
  allowedOrigins: '*' as NonNullable<FrameStreamServerOptions['allowedOrigins']>,
  maxViewers: 1000,
  maxPayload: 16 * 1024,
  controlRateLimit: Object.freeze({ messages: 50, perMs: 1000 }) as { messages: number; perMs: number },
  handshakeTimeout: 10_000,
  sourceTimeout: 10_000,
  maxFrameWidth: 8192,
  maxFrameHeight: 8192,
  maxFrameBytes: 32 * 1024 * 1024,
});

const KNOWN_KEYS = [
  ...Object.keys(DEFAULTS),
  ...Object.keys(SESSION_DEFAULTS),
  'server',
  'authorize',
  'onControl',
  'maxClients',
  'ingest',
  'session',
  'authorizeSpectator',
  'hub',
];

export type ResolvedOptions = { -readonly [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] } &
  Pick<FrameStreamServerOptions, 'server' | 'authorize' | 'onControl' | 'hub'> & {
    ingest: ResolvedIngest | undefined;
    sessions: ResolvedSessions | undefined;
  };

/** True for the values {@link FrameSource} allows. */
export function isFrameSource(v: unknown): v is FrameSource {
  return (
    v === 'noise' ||
    v === 'pattern' ||
    v === 'push' ||
    typeof v === 'function' ||
    (typeof v === 'object' && v !== null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  );
}

export function assertFrameSource(v: unknown): asserts v is FrameSource {
  if (!isFrameSource(v)) {
    throw new TypeError(
      `Expected \`source\` to be 'noise', 'pattern', 'push', an async iterable or a function returning one, got \`${show(v)}\``,
    );
  }
}

/** Spreads the defaults and validates every option at once, naming the bad one. */
export function resolveOptions(options: FrameStreamServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got \`${show(options)}\``);
  }
  rejectUnknownKeys(options, KNOWN_KEYS, 'createFrameStreamServer');
  const { maxClients, ...rest } = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  if (maxClients !== undefined && rest.maxViewers !== undefined) {
    throw new TypeError('Pass `maxViewers` only; `maxClients` is its old name');
  }
  const defined = maxClients === undefined ? rest : { ...rest, maxViewers: maxClients };
  const o = {
    ...DEFAULTS,
    // The default snapshot route belongs to the default (test) stream only.
    snapshotPath: defined.path === undefined || normalizePath(String(defined.path)) === normalizePath(DEFAULT_PATH) ? DEFAULT_SNAPSHOT_PATH : false,
    allowedOrigins: defined.authorize === undefined ? '*' : 'same-origin',
    ...defined,
  } as ResolvedOptions;

  // https.Server extends tls.Server, not http.Server; both have the same
  // request/upgrade events, so accept anything that quacks like one.
  const s = o.server as unknown as Record<string, unknown> | undefined;
  if (!(s instanceof HttpServer) && !(s && typeof s.on === 'function' && typeof s.listeners === 'function' && typeof s.listen === 'function')) {
    throw new TypeError(`Expected \`server\` to be an http.Server or https.Server, got \`${show(o.server)}\``);
  }
  urlPath('path', o.path);
  if (o.snapshotPath !== false) urlPath('snapshotPath', o.snapshotPath);
  assertFrameSource(o.source);
  integer('maxFrameWidth', o.maxFrameWidth, 1, 65_535);
  integer('maxFrameHeight', o.maxFrameHeight, 1, 65_535);
  integer('maxFrameBytes', o.maxFrameBytes, 1, 2 ** 31);
  integer('width', o.width, 1, o.maxFrameWidth);
  integer('height', o.height, 1, o.maxFrameHeight);
  if (typeof o.fps !== 'number' || !(o.fps > 0 && o.fps <= 240)) {
    throw new RangeError(`Expected \`fps\` to be in (0, 240], got \`${show(o.fps)}\``);
  }
  integer('quality', o.quality, 1, 100);
  if (typeof o.alwaysOn !== 'boolean') throw new TypeError(`Expected \`alwaysOn\` to be a boolean, got \`${show(o.alwaysOn)}\``);
  integer('heartbeatInterval', o.heartbeatInterval, 0, 2 ** 31 - 1);
  if (o.authorize !== undefined && typeof o.authorize !== 'function') {
    throw new TypeError(`Expected \`authorize\` to be a function, got \`${show(o.authorize)}\``);
  }
  const origins = o.allowedOrigins as unknown;
  if (
    !(
      origins === '*' ||
      origins === 'same-origin' ||
      typeof origins === 'function' ||
      (Array.isArray(origins) && origins.every((x) => typeof x === 'string'))
    )
  ) {
    throw new TypeError(
      `Expected \`allowedOrigins\` to be '*', 'same-origin', an array of origins or a function, got \`${show(origins)}\``,
    );
  }
  integer(maxClients === undefined ? 'maxViewers' : 'maxClients', o.maxViewers, 1, 1_000_000);
  integer('maxPayload', o.maxPayload, 64, 100 * 1024 * 1024);
  const limit = o.controlRateLimit as unknown as Record<string, unknown> | null;
  if (typeof limit !== 'object' || limit === null) {
    throw new TypeError(`Expected \`controlRateLimit\` to be { messages, perMs }, got \`${show(limit)}\``);
  }
  integer('controlRateLimit.messages', limit.messages, 1, 1_000_000);
  integer('controlRateLimit.perMs', limit.perMs, 1, 3_600_000);
  integer('handshakeTimeout', o.handshakeTimeout, 1, 2 ** 31 - 1);
  integer('sourceTimeout', o.sourceTimeout, 1, 2 ** 31 - 1);
  if (o.onControl !== undefined && typeof o.onControl !== 'function') {
    throw new TypeError(`Expected \`onControl\` to be a function, got \`${show(o.onControl)}\``);
  }
  if (o.hub !== undefined && !isFrameStreamHub(o.hub)) {
    throw new TypeError(`Expected \`hub\` to be a hub such as \`redisHub()\` from 'framestream/redis', got \`${show(o.hub)}\``);
  }
  o.sessions = undefined;
  if (defined.session !== undefined) {
    if (defined.source !== undefined) {
      throw new TypeError('A stream with `session` makes each session\'s frames; leave `source` out');
    }
    o.sessions = resolveSessions(defined);
  } else {
    for (const key of [...Object.keys(SESSION_DEFAULTS), 'authorizeSpectator']) {
      if (defined[key] !== undefined) throw new TypeError(`\`${key}\` applies to interactive streams: give \`session\` too`);
    }
  }
  if (o.ingest !== undefined) {
    if (defined.source !== undefined) {
      throw new TypeError('A stream with `ingest` takes its frames from the producer; leave `source` out');
    }
    o.ingest = resolveIngest(o.ingest, o.path);
  }
  return o;
}

export { normalizePath } from './http/host.js';
