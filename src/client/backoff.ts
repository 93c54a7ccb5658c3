import type { BackoffOptions, ReconnectPolicy } from './types.js';

/**
 * Defaults of the built-in exponential backoff: 0.5 s, 0.8 s, 1.28 s, …
 * capped at 10 s, each shortened by up to half at random.
 */
export const BACKOFF_DEFAULTS = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  growthFactor: 1.6,
  maxAttempts: Infinity,
  jitter: 0.5,
} as const satisfies Required<BackoffOptions>;

/** Options of {@link createBackoffPolicy}: the backoff figures plus a random source. */
export interface BackoffPolicyOptions extends BackoffOptions {
  /**
   * Returns a number in [0, 1). Injectable so tests (and simulations) get
   * repeatable delays.
   * @default Math.random
   */
  random?: () => number;
}

/** Throws a `TypeError`/`RangeError` naming the first backoff option that is out of range. */
export function validateBackoffOptions(opts: Required<BackoffOptions>): void {
  const { initialDelayMs, maxDelayMs, growthFactor, maxAttempts, jitter } = opts;
  for (const [name, value] of Object.entries({ initialDelayMs, maxDelayMs, growthFactor, maxAttempts, jitter })) {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new TypeError(`Expected \`${name}\` to be a number, got \`${String(value)}\``);
    }
  }
  if (!(Number.isFinite(initialDelayMs) && initialDelayMs >= 0)) {
    throw new RangeError(`Expected \`initialDelayMs\` to be a finite number >= 0, got \`${initialDelayMs}\``);
  }
  // maxDelayMs below initialDelayMs is allowed: it caps every delay, the
  // first included, so raising only initialDelayMs never trips over the default cap.
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= 0)) {
    throw new RangeError(`Expected \`maxDelayMs\` to be a finite number >= 0, got \`${maxDelayMs}\``);
  }
  if (!(Number.isFinite(growthFactor) && growthFactor >= 1)) {
    throw new RangeError(`Expected \`growthFactor\` to be a finite number >= 1, got \`${growthFactor}\``);
  }
  if (!(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 0))) {
    throw new RangeError(`Expected \`maxAttempts\` to be an integer >= 0 or Infinity, got \`${maxAttempts}\``);
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`Expected \`jitter\` to be in [0, 1], got \`${jitter}\``);
  }
}

/**
 * Builds the default reconnect policy: exponential backoff with jitter.
 *
 * Attempt `n` waits `min(maxDelayMs, initialDelayMs * growthFactor^(n-1))`,
 * shortened by a random fraction of up to `jitter` of itself. The jitter
 * spreads out the viewers of a restarted server, which would otherwise all
 * come back in the same millisecond. After `maxAttempts` retries the policy
 * returns `null` and the client gives up.
 *
 * Options are checked at once; a bad one throws naming it.
 *
 * @example
 * const policy = createBackoffPolicy({ initialDelayMs: 250, maxAttempts: 10 });
 * policy({ attempt: 1, closeCode: 1006, elapsedMs: 0 }); // between 125 and 250
 * new FrameStreamClient({ url, reconnectPolicy: policy });
 */
export function createBackoffPolicy(options: BackoffPolicyOptions = {}): ReconnectPolicy {
  const { random = Math.random, ...rest } = options;
  const opts: Required<BackoffOptions> = { ...BACKOFF_DEFAULTS, ...stripUndefined(rest) };
  validateBackoffOptions(opts);
  if (typeof random !== 'function') {
    throw new TypeError(`Expected \`random\` to be a function, got \`${typeof random}\``);
  }
  return ({ attempt }) => {
    if (attempt > opts.maxAttempts) return null;
    // Past the cap the power only overflows towards Infinity; min() keeps it sane.
    const base = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.growthFactor ** Math.max(0, attempt - 1));
    const r = Math.min(Math.max(random(), 0), 1);
    return Math.round(base * (1 - opts.jitter * r));
  };
}

/** `{ a: undefined }` must not override a default when spread. */
export function stripUndefined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(obj) as (keyof T)[]) {
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  return out;
}
