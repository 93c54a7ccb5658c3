import { Server as HttpServer, type IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { FrameSource, ViewerInfo } from './types.js';

/** Options of {@link createFrameStreamServer}. Only `server` is required. */
export interface FrameStreamServerOptions {
  /** The host's `http.Server` or `https.Server` (Express: the `listen()` result; Fastify: `fastify.server`). */
  server: HttpServer | HttpsServer;
  /**
   * WebSocket path, matched with and without a trailing slash.
   * @default '/ws/test/'
   */
  path?: string;
  /**
   * Path answering `GET` with the current frame as `image/jpeg`; `false` turns it off.
   * @default '/test/random'
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
   * Decides whether an upgrade or snapshot request may proceed. `false` answers
   * 401; a throw or rejection answers 500 and emits `error` (`ERR_HOOK_FAILED`).
   * @default undefined (everyone)
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * Origins allowed to connect and to read snapshots (CORS). Requests without
   * an `Origin` header (non-browser clients) pass a list; a function sees `undefined`.
   * @default '*'
   */
  allowedOrigins?: '*' | string[] | ((origin: string | undefined) => boolean);
  /**
   * Most viewers at once; further upgrades are answered 503.
   * @default 1000
   */
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
  onControl?: (data: unknown, client: ViewerInfo) => void | Promise<void>;
}

export const DEFAULTS = {
  path: '/ws/test/',
  snapshotPath: '/test/random' as string | false,
  source: 'noise' as FrameSource,
  width: 512,
  height: 512,
  fps: 30,
  quality: 90,
  alwaysOn: false,
  heartbeatInterval: 30_000,
  allowedOrigins: '*' as NonNullable<FrameStreamServerOptions['allowedOrigins']>,
  maxClients: 1000,
  maxPayload: 16 * 1024,
  controlRateLimit: { messages: 50, perMs: 1000 },
  handshakeTimeout: 10_000,
  sourceTimeout: 10_000,
  maxFrameWidth: 8192,
  maxFrameHeight: 8192,
  maxFrameBytes: 32 * 1024 * 1024,
};

export type ResolvedOptions = typeof DEFAULTS &
  Pick<FrameStreamServerOptions, 'server' | 'authorize' | 'onControl'>;

const show = (v: unknown): string => {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

function integer(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number') throw new TypeError(`Expected \`${name}\` to be a number, got \`${show(v)}\``);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer in [${min}, ${max}], got \`${show(v)}\``);
  }
}

function urlPath(name: string, v: unknown): void {
  if (typeof v !== 'string' || !v.startsWith('/') || /[?#\s]/.test(v)) {
    throw new TypeError(`Expected \`${name}\` to be a path starting with "/", got \`${show(v)}\``);
  }
}

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
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULTS, ...defined } as ResolvedOptions;

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
  if (!(origins === '*' || typeof origins === 'function' || (Array.isArray(origins) && origins.every((x) => typeof x === 'string')))) {
    throw new TypeError(`Expected \`allowedOrigins\` to be '*', an array of origins or a function, got \`${show(origins)}\``);
  }
  integer('maxClients', o.maxClients, 1, 1_000_000);
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
  return o;
}

/** `'/ws/test/'` → `'/ws/test'`, so a path matches with and without its trailing slash. */
export function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
