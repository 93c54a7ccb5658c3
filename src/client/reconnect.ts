import { FrameStreamError } from '../protocol/index.js';
import type { ReconnectPolicy } from './types.js';

type Timer = ReturnType<typeof setTimeout>;

/**
 * What {@link Reconnector.schedule} decided: a retry, or to stop, with the
 * error to report (`null` when the close itself already said why).
 */
export type RetryDecision = { attempt: number; delayMs: number } | { error: FrameStreamError | null };

/** Declarative limits applied on top of the policy (plain data, so they cross to a worker). */
export interface RetryLimits {
  /** Close codes that stop at once. */
  stopOnCloseCodes: readonly number[];
  /** Attempts (the first included) that may fail before the first connection; `Infinity` for no limit. */
  maxConnectAttempts: number;
  /** No retry starts later than this after the outage began, ms; `Infinity` for no limit. */
  maxRetryTimeMs: number;
}

/**
 * The client's reconnect bookkeeping: the attempt counter, the retry timer,
 * and the rule that only a connection that stays up `stableAfterMs` resets
 * the counter. Resetting on every successful open would let a server that
 * accepts and drops at once be retried at the initial delay forever.
 */
export class Reconnector {
  attempt = 0;
  private outageStartedAt: number | null = null;
  private retryTimer: Timer | null = null;
  private stableTimer: Timer | null = null;
  /** A connection was made since the last {@link reset} (that is, since `connect()`). */
  private reached = false;

  constructor(
    private readonly policy: ReconnectPolicy,
    private readonly stableAfterMs: number,
    private readonly limits: RetryLimits,
    /** What the messages call the target: a URL, or a function for one that changes between attempts. */
    private readonly target: string | (() => string),
  ) {}

  private get url(): string {
    return typeof this.target === 'function' ? this.target() : this.target;
  }

  /**
   * Counts an attempt and asks the policy for its delay; with one, `retry`
   * runs after it. A close code in `stopOnCloseCodes`, too many attempts
   * before a first connection, a policy's `null` (or a throwing policy) or
   * an exhausted time budget stop instead.
   *
   * @param cause what went wrong with the connection that ended, to explain a stop
   */
  schedule(closeCode: number, retry: () => void, cause: string | null = null): RetryDecision {
    if (this.limits.stopOnCloseCodes.includes(closeCode)) return { error: null };
    this.attempt++;
    const now = Date.now();
    this.outageStartedAt ??= now;
    const why = cause ? `: ${cause}` : '';
    if (!this.reached && this.attempt >= this.limits.maxConnectAttempts) {
      const n = this.attempt;
      return { error: new FrameStreamError('ERR_RECONNECT_EXHAUSTED', `Gave up connecting to ${this.url} after ${n} failed ${n === 1 ? 'attempt' : 'attempts'}${why}`) };
    }
    let delay: number | null;
    try {
      delay = this.policy({ attempt: this.attempt, closeCode, elapsedMs: now - this.outageStartedAt });
    } catch (cause) {
      return { error: new FrameStreamError('ERR_HOOK_FAILED', '`reconnectPolicy` threw', { cause }) };
    }
    // Infinity would make setTimeout fire at once; treat it like null.
    if (typeof delay !== 'number' || Number.isNaN(delay) || delay === Infinity) {
      const tries = this.attempt - 1;
      return { error: new FrameStreamError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting to ${this.url} after ${tries} ${tries === 1 ? 'retry' : 'retries'}${why}`) };
    }
    const delayMs = Math.max(0, delay);
    const elapsed = now - this.outageStartedAt;
    if (elapsed + delayMs > this.limits.maxRetryTimeMs) {
      const budget = `\`maxRetryTimeMs\` is ${this.limits.maxRetryTimeMs}`;
      return { error: new FrameStreamError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting to ${this.url} after ${Math.round(elapsed)} ms without a connection (${budget})${why}`) };
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      retry();
    }, delayMs);
    return { attempt: this.attempt, delayMs };
  }

  /** A connection is up: forget the attempts once it has stayed up `stableAfterMs`. */
  connected(onStable: () => void): void {
    this.reached = true;
    this.clearStable();
    this.stableTimer = setTimeout(() => {
      this.stableTimer = null;
      this.attempt = 0;
      this.outageStartedAt = null;
      onStable();
    }, this.stableAfterMs);
  }

  /** The connection went down before it counted as stable. */
  dropped(): void {
    this.clearStable();
  }

  /** Cancels a pending retry and forgets the attempts (connect() or disconnect()). */
  reset(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearStable();
    this.attempt = 0;
    this.outageStartedAt = null;
    this.reached = false;
  }

  private clearStable(): void {
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    this.stableTimer = null;
  }
}
