import { FrameStreamError } from '../protocol/index.js';
import type { ReconnectPolicy } from './types.js';

type Timer = ReturnType<typeof setTimeout>;

/** What {@link Reconnector.schedule} decided. */
export type RetryDecision = { attempt: number; delayMs: number } | { error: FrameStreamError };

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

  constructor(
    private readonly policy: ReconnectPolicy,
    private readonly stableAfterMs: number,
  ) {}

  /**
   * Counts an attempt and asks the policy for its delay; with one, `retry`
   * runs after it. A `null` (or a throwing policy) returns an error instead.
   */
  schedule(closeCode: number, retry: () => void): RetryDecision {
    this.attempt++;
    const now = Date.now();
    this.outageStartedAt ??= now;
    let delay: number | null;
    try {
      delay = this.policy({ attempt: this.attempt, closeCode, elapsedMs: now - this.outageStartedAt });
    } catch (cause) {
      return { error: new FrameStreamError('ERR_HOOK_FAILED', '`reconnectPolicy` threw', { cause }) };
    }
    // Infinity would make setTimeout fire at once; treat it like null.
    if (typeof delay !== 'number' || Number.isNaN(delay) || delay === Infinity) {
      const tries = this.attempt - 1;
      return { error: new FrameStreamError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting after ${tries} ${tries === 1 ? 'retry' : 'retries'}`) };
    }
    const delayMs = Math.max(0, delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      retry();
    }, delayMs);
    return { attempt: this.attempt, delayMs };
  }

  /** A connection is up: forget the attempts once it has stayed up `stableAfterMs`. */
  connected(onStable: () => void): void {
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
  }

  private clearStable(): void {
    if (this.stableTimer !== null) clearTimeout(this.stableTimer);
    this.stableTimer = null;
  }
}
