import { CLOSE_CODES } from '../protocol/index.js';
import { BACKOFF_DEFAULTS, createBackoffPolicy, stripUndefined } from './backoff.js';
import { rejectUnknownKeys } from '../protocol/suggest.js';
import { resolveUrlOption, type UrlSource } from './url.js';

// Checked here for the other entries' options too (the producer's, the worker client's).
export { resolveUrl } from './url.js';
import type { FrameStreamClientOptions } from './client-options.js';
import type { ReconnectPolicy, WebSocketConstructor } from './types.js';

/** Every default of {@link FrameStreamClientOptions} in one place. */
export const CLIENT_DEFAULTS = Object.freeze({
  ...BACKOFF_DEFAULTS,
  autoConnect: false,
  reconnect: true,
  stopOnCloseCodes: Object.freeze([
    CLOSE_CODES.unauthorized,
    CLOSE_CODES.forbiddenOrigin,
    CLOSE_CODES.sessionEnded,
    CLOSE_CODES.sessionTimeout,
  ]) as readonly number[],
  maxConnectAttempts: 6,
  maxRetryTimeMs: Infinity,
  stableAfterMs: 5000,
  fpsInterval: 1000,
  pingInterval: 2000,
  latencyWindow: 120,
  helloTimeoutMs: 5000,
  idleTimeoutMs: 10_000,
  mode: 'auto',
  maxInputInFlight: 2,
  maxInputFps: 30,
} as const);

/** Every key of {@link FrameStreamClientOptions}; any other key is refused as a likely typo. */
export const CLIENT_OPTION_KEYS = Object.freeze([
  'url',
  'autoConnect',
  'WebSocket',
  'reconnect',
  'reconnectPolicy',
  'stopOnCloseCodes',
  'maxConnectAttempts',
  'maxRetryTimeMs',
  'stableAfterMs',
  'fpsInterval',
  'pingInterval',
  'maxFps',
  'latencyWindow',
  'mode',
  'helloTimeoutMs',
  'idleTimeoutMs',
  'random',
  'maxInputInFlight',
  'maxInputFps',
  'initialDelayMs',
  'maxDelayMs',
  'growthFactor',
  'maxAttempts',
  'jitter',
] as const satisfies readonly (keyof FrameStreamClientOptions)[]);

// A compile error here means an option was added to the type but not to the list.
type MissingKey = Exclude<keyof FrameStreamClientOptions, (typeof CLIENT_OPTION_KEYS)[number]>;
const everyKeyListed: [MissingKey] extends [never] ? true : MissingKey = true;
void everyKeyListed;

/** Options after defaults are applied and everything is checked. */
export interface ResolvedClientOptions {
  /** The URLs to take in turn, resolved, or the function to ask. */
  url: UrlSource;
  autoConnect: boolean;
  WebSocket: WebSocketConstructor;
  reconnect: boolean;
  policy: ReconnectPolicy;
  stopOnCloseCodes: readonly number[];
  /** Attempts before the first connection; `Infinity` for no limit. */
  maxConnectAttempts: number;
  /** `Infinity` for no limit. */
  maxRetryTimeMs: number;
  stableAfterMs: number;
  fpsInterval: number;
  pingInterval: number;
  maxFps: number | null;
  latencyWindow: number;
  helloTimeoutMs: number;
  /** 0 = off; otherwise at least twice `pingInterval`. */
  idleTimeoutMs: number;
  mode: 'auto' | 'bare';
  maxInputInFlight: number;
  /** `Infinity` for no cap. */
  maxInputFps: number;
}

/** Throws a `RangeError` naming `name` unless `value` is a finite number in range. */
function checkNumber(name: string, value: unknown, min: number, { integer = false, exclusive = false } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number, got \`${String(value)}\``);
  }
  const ok = Number.isFinite(value) && (exclusive ? value > min : value >= min) && (!integer || Number.isInteger(value));
  if (!ok) {
    const what = `${integer ? 'an integer' : 'a finite number'} ${exclusive ? '>' : '>='} ${min}`;
    throw new RangeError(`Expected \`${name}\` to be ${what}, got \`${value}\``);
  }
  return value;
}

/** Checks a per-connection FPS cap: a positive number, or `null`/`undefined` for none. */
export function checkMaxFps(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  return checkNumber('maxFps', value, 0, { exclusive: true });
}

/** `data` for a control message as JSON; a `TypeError` when it has none. */
export function serializeControlData(data: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (cause) {
    throw new TypeError(`Expected \`data\` to be JSON-serialisable, got an error: ${(cause as Error).message}`, { cause });
  }
  if (json === undefined) throw new TypeError(`Expected \`data\` to be JSON-serialisable, got \`${typeof data}\``);
  return json;
}

/** A `params` message for `setParams`; a `TypeError` naming `params` for anything but a JSON-serialisable plain object. */
export function serializeParams(params: unknown): string {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError(`Expected \`params\` to be a plain object, got \`${Array.isArray(params) ? 'an array' : String(params)}\``);
  }
  let json: string;
  try {
    json = serializeControlData(params);
  } catch (err) {
    throw new TypeError((err as Error).message.replace('`data`', '`params`'), { cause: err });
  }
  return `{"type":"params","params":${json}}`;
}

/** Close codes: integers a close frame can carry (1000-4999). */
function checkCloseCodes(value: unknown): readonly number[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Expected \`stopOnCloseCodes\` to be an array of close codes, got \`${String(value)}\``);
  }
  for (const code of value) {
    if (!(Number.isInteger(code) && code >= 1000 && code <= 4999)) {
      throw new RangeError(`Expected \`stopOnCloseCodes\` to hold integers in [1000, 4999], got \`${String(code)}\``);
    }
  }
  return Object.freeze([...value]);
}

/** A count or duration where `Infinity` means "no limit". */
function checkLimit(name: string, value: unknown, min: number, integer: boolean): number {
  if (value === Infinity) return Infinity;
  return checkNumber(name, value, min, { integer });
}

function idleTimeout(ms: number, pingInterval: number): number {
  return ms === 0 ? 0 : Math.max(ms, 2 * pingInterval);
}

/** Applies {@link CLIENT_DEFAULTS} and checks every option, throwing on the first bad one. */
export function resolveClientOptions(options: FrameStreamClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got \`${String(options)}\``);
  }
  rejectUnknownKeys(options, CLIENT_OPTION_KEYS, 'FrameStreamClient');
  const opts = { ...CLIENT_DEFAULTS, ...stripUndefined(options) };
  const url = resolveUrlOption(opts.url);

  const WebSocketImpl = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof WebSocketImpl !== 'function') {
    throw new TypeError(
      `Expected \`WebSocket\` to be a WebSocket constructor (this runtime has no global one; pass \`WebSocket\` from 'ws'), got \`${String(WebSocketImpl)}\``,
    );
  }
  for (const name of ['autoConnect', 'reconnect'] as const) {
    if (typeof opts[name] !== 'boolean') {
      throw new TypeError(`Expected \`${name}\` to be a boolean, got \`${String(opts[name])}\``);
    }
  }
  if (opts.mode !== 'auto' && opts.mode !== 'bare') {
    throw new TypeError(`Expected \`mode\` to be 'auto' or 'bare', got \`${String(opts.mode)}\``);
  }

  let policy: ReconnectPolicy;
  if (opts.reconnectPolicy !== undefined) {
    if (typeof opts.reconnectPolicy !== 'function') {
      throw new TypeError(`Expected \`reconnectPolicy\` to be a function, got \`${typeof opts.reconnectPolicy}\``);
    }
    policy = opts.reconnectPolicy;
  } else {
    const { initialDelayMs, maxDelayMs, growthFactor, maxAttempts, jitter, random } = opts;
    policy = createBackoffPolicy({ initialDelayMs, maxDelayMs, growthFactor, maxAttempts, jitter, random });
  }

  return {
    url,
    autoConnect: opts.autoConnect,
    WebSocket: WebSocketImpl,
    reconnect: opts.reconnect,
    policy,
    stopOnCloseCodes: checkCloseCodes(opts.stopOnCloseCodes),
    maxConnectAttempts: checkLimit('maxConnectAttempts', opts.maxConnectAttempts, 1, true),
    maxRetryTimeMs: checkLimit('maxRetryTimeMs', opts.maxRetryTimeMs, 0, false),
    stableAfterMs: checkNumber('stableAfterMs', opts.stableAfterMs, 0),
    fpsInterval: checkNumber('fpsInterval', opts.fpsInterval, 0, { exclusive: true }),
    pingInterval: checkNumber('pingInterval', opts.pingInterval, 0, { exclusive: true }),
    maxFps: checkMaxFps(opts.maxFps),
    latencyWindow: checkNumber('latencyWindow', opts.latencyWindow, 1, { integer: true }),
    helloTimeoutMs: checkNumber('helloTimeoutMs', opts.helloTimeoutMs, 0),
    // A healthy server answers every ping, so anything shorter than two ping
    // intervals would cut off a quiet but live stream.
    idleTimeoutMs: idleTimeout(checkNumber('idleTimeoutMs', opts.idleTimeoutMs, 0), opts.pingInterval),
    mode: opts.mode,
    maxInputInFlight: checkNumber('maxInputInFlight', opts.maxInputInFlight, 1, { integer: true }),
    maxInputFps: opts.maxInputFps === Infinity ? Infinity : checkNumber('maxInputFps', opts.maxInputFps, 0, { exclusive: true }),
  };
}
