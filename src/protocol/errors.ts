/**
 * Every error framestream creates at runtime carries one of these codes, so
 * callers can branch on `err.code` instead of parsing messages. The list is
 * documented in docs/errors.md; add new codes there too.
 */
const BRAND = Symbol.for('framestream.error');

export type FrameStreamErrorCode =
  // Wire format (client or server received something it cannot read)
  | 'ERR_FRAME_TRUNCATED'
  | 'ERR_FRAME_HEADER'
  | 'ERR_FRAME_UNKNOWN_TYPE'
  | 'ERR_FRAME_UNKNOWN_CODEC'
  | 'ERR_FRAME_METRICS'
  | 'ERR_CONTROL_JSON'
  | 'ERR_CONTROL_UNKNOWN_TYPE'
  | 'ERR_CONTROL_INVALID'
  | 'ERR_CONTROL_TOO_LARGE'
  | 'ERR_CONTROL_RATE_LIMITED'
  // Frames and sources
  | 'ERR_INVALID_FRAME'
  | 'ERR_SOURCE_FAILED'
  | 'ERR_SOURCE_TIMEOUT'
  | 'ERR_ENCODE_FAILED'
  // Connections
  | 'ERR_SOCKET'
  | 'ERR_UNREACHABLE'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN_ORIGIN'
  | 'ERR_TOO_MANY_CLIENTS'
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_HEARTBEAT_TIMEOUT'
  | 'ERR_RECONNECT_EXHAUSTED'
  | 'ERR_HOOK_FAILED'
  // External producers (ingest endpoint and producer libraries)
  | 'ERR_PRODUCER_PROTOCOL'
  | 'ERR_PRODUCER_REFUSED'
  | 'ERR_PRODUCER_BUSY'
  // Interactive sessions
  | 'ERR_INPUT_INVALID'
  | 'ERR_INPUT_TOO_LARGE'
  | 'ERR_NOT_IN_SESSION'
  | 'ERR_SESSION_ENDED'
  | 'ERR_SESSION_TIMEOUT'
  // the hub that joins nodes (framestream/redis)
  | 'ERR_HUB_UNAVAILABLE'
  | 'ERR_HUB_MESSAGE';

/**
 * Base class for runtime errors framestream emits (as `'error'` events) or
 * rejects with. Programmer mistakes such as a bad option throw the standard
 * `TypeError` / `RangeError` instead, naming the option.
 *
 * @example
 * stream.on('error', (err) => {
 *   if (err.code === 'ERR_SOURCE_FAILED') console.warn('model hiccup', err.cause);
 * });
 */
export class FrameStreamError extends Error {
  override readonly name = 'FrameStreamError';
  readonly code: FrameStreamErrorCode;
  /** @internal Brand shared by every copy of this class (see below). */
  readonly [BRAND] = true;

  constructor(code: FrameStreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  // Each entry point (`framestream`, `/client`, `/server`) is bundled on its
  // own, so an app can hold several copies of this class. A registry symbol
  // makes `instanceof` agree across all of them.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}

/** True when `value` is a {@link FrameStreamError}, optionally with the given code. */
export function isFrameStreamError(
  value: unknown,
  code?: FrameStreamErrorCode,
): value is FrameStreamError {
  return value instanceof FrameStreamError && (code === undefined || value.code === code);
}
