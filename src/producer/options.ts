import WebSocket from 'ws';
import { BACKOFF_DEFAULTS, createBackoffPolicy, stripUndefined } from '../client/backoff.js';
import { resolveUrl } from '../client/options.js';
import type { ReconnectPolicy } from '../client/types.js';
import { PRODUCER_SESSIONS_PARAM } from '../protocol/producer-sessions.js';
import { rejectUnknownKeys } from '../protocol/suggest.js';
import type { FrameProducerOptions, ProducerWebSocketConstructor } from './types.js';

/** Every default of {@link FrameProducerOptions} in one place. */
export const PRODUCER_DEFAULTS = Object.freeze({
  ...BACKOFF_DEFAULTS,
  autoConnect: true,
  reconnect: true,
  busyRetryMs: 5000,
  handshakeTimeoutMs: 10_000,
  sessions: false,
} as const);

/** Every key of {@link FrameProducerOptions}; any other key is refused as a likely typo. */
export const PRODUCER_OPTION_KEYS = Object.freeze([
  'url',
  'token',
  'headers',
  'WebSocket',
  'autoConnect',
  'reconnect',
  'busyRetryMs',
  'handshakeTimeoutMs',
  'sessions',
  'initialDelayMs',
  'maxDelayMs',
  'growthFactor',
  'maxAttempts',
  'jitter',
] as const satisfies readonly (keyof FrameProducerOptions)[]);

// A compile error here means an option was added to the type but not to the list.
type MissingKey = Exclude<keyof FrameProducerOptions, (typeof PRODUCER_OPTION_KEYS)[number]>;
const everyKeyListed: [MissingKey] extends [never] ? true : MissingKey = true;
void everyKeyListed;

/** Options after defaults are applied and everything is checked. */
export interface ResolvedProducerOptions {
  url: string;
  /** The handshake's headers, `Authorization` included when a token was given. */
  headers: Record<string, string>;
  WebSocket: ProducerWebSocketConstructor;
  autoConnect: boolean;
  reconnect: boolean;
  policy: ReconnectPolicy;
  busyRetryMs: number;
  handshakeTimeoutMs: number;
  sessions: boolean;
}

function checkMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number, got \`${String(value)}\``);
  }
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`Expected \`${name}\` to be a finite number >= 0, got \`${value}\``);
  }
  return value;
}

function checkHeaders(value: unknown, token: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`headers\` to be an object of strings, got \`${String(value)}\``);
  }
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new TypeError(`Expected \`headers.${name}\` to be a string, got \`${typeof v}\``);
    headers[name] = v;
  }
  if (token !== undefined) {
    if (typeof token !== 'string' || token === '') {
      throw new TypeError(`Expected \`token\` to be a non-empty string, got \`${String(token)}\``);
    }
    if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
      throw new TypeError('Expected either `token` or `headers.Authorization`, got both');
    }
    headers.Authorization = `Bearer ${token}`;
  }
  return headers;
}

// The opt-in is part of the URL, so the server knows it before it says anything.
function withSessions(url: string): string {
  const u = new URL(url);
  u.searchParams.set(PRODUCER_SESSIONS_PARAM, '1');
  return u.toString();
}

/** Applies {@link PRODUCER_DEFAULTS} and checks every option, throwing on the first bad one. */
export function resolveProducerOptions(options: FrameProducerOptions): ResolvedProducerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got \`${String(options)}\``);
  }
  rejectUnknownKeys(options, PRODUCER_OPTION_KEYS, 'FrameProducer');
  const opts = { ...PRODUCER_DEFAULTS, headers: {}, ...stripUndefined(options) };
  const url = resolveUrl(opts.url);
  const WebSocketImpl = opts.WebSocket ?? (WebSocket as unknown as ProducerWebSocketConstructor);
  if (typeof WebSocketImpl !== 'function') {
    throw new TypeError(`Expected \`WebSocket\` to be a WebSocket constructor such as 'ws', got \`${String(WebSocketImpl)}\``);
  }
  for (const name of ['autoConnect', 'reconnect', 'sessions'] as const) {
    if (typeof opts[name] !== 'boolean') {
      throw new TypeError(`Expected \`${name}\` to be a boolean, got \`${String(opts[name])}\``);
    }
  }
  const { initialDelayMs, maxDelayMs, growthFactor, maxAttempts, jitter } = opts;
  return {
    url: opts.sessions ? withSessions(url) : url,
    headers: checkHeaders(opts.headers, opts.token),
    WebSocket: WebSocketImpl,
    autoConnect: opts.autoConnect,
    reconnect: opts.reconnect,
    // Checks the backoff options, naming the bad one.
    policy: createBackoffPolicy({ initialDelayMs, maxDelayMs, growthFactor, maxAttempts, jitter }),
    busyRetryMs: checkMs('busyRetryMs', opts.busyRetryMs),
    handshakeTimeoutMs: checkMs('handshakeTimeoutMs', opts.handshakeTimeoutMs),
    sessions: opts.sessions,
  };
}
