import { Reconnector } from '../client/reconnect.js';
import type { ReconnectPolicy } from '../client/types.js';
import type { FrameStreamError } from '../protocol/index.js';
import type { ConnectionEnd } from './connection.js';
import { judgeEnd } from './outcome.js';

/** A connection must stay up this long before the backoff starts again from its first delay. */
const STABLE_AFTER_MS = 5000;

/** What follows a connection's end. */
export interface AfterEnd {
  /** What to report, in order. */
  errors: FrameStreamError[];
  /** Delay before the retry that is now scheduled, ms; `null` when the producer stops. */
  reconnectInMs: number | null;
}

/**
 * The producer's reconnect plan: the viewer client's {@link Reconnector}
 * (attempt counter, timer, reset once a connection has been stable) driven
 * by {@link judgeEnd}, which can stop it or hold the next attempt back (a
 * busy stream, a 429). The backoff policy only ever lengthens that wait.
 */
export class RetryPlan {
  private readonly reconnector: Reconnector;
  /** The least delay before the next retry, set by why the last connection ended. */
  private minDelayMs = 0;
  /** One `ERR_PRODUCER_BUSY` per run of 4409s, not one per retry. */
  private busyReported = false;

  constructor(
    policy: ReconnectPolicy,
    private readonly o: { url: string; busyRetryMs: number; reconnect: boolean },
  ) {
    const held: ReconnectPolicy = (ctx) => {
      const delay = policy(ctx);
      return delay === null ? null : Math.max(delay, this.minDelayMs);
    };
    const limits = { stopOnCloseCodes: [], maxConnectAttempts: Infinity, maxRetryTimeMs: Infinity };
    this.reconnector = new Reconnector(held, STABLE_AFTER_MS, limits, o.url);
  }

  /** `connect()` or `close()`: cancels a pending retry and starts counting afresh. */
  reset(): void {
    this.reconnector.reset();
    this.minDelayMs = 0;
    this.busyReported = false;
  }

  /** Admitted: the next outage starts from the first delay once this connection has stayed up. */
  admitted(): void {
    this.reconnector.connected(() => {});
    this.minDelayMs = 0;
    this.busyReported = false;
  }

  /**
   * A connection ended: decides, schedules `retry` unless it stops, and says what to report.
   *
   * @param reported the server already explained itself in an `error` message
   */
  after(end: ConnectionEnd, reported: boolean, retry: () => void): AfterEnd {
    this.reconnector.dropped();
    const verdict = judgeEnd(end, { busyRetryMs: this.o.busyRetryMs, url: this.o.url, reported });
    const errors: FrameStreamError[] = [];
    const busy = verdict.error?.code === 'ERR_PRODUCER_BUSY';
    if (verdict.error && !(busy && this.busyReported)) errors.push(verdict.error);
    this.busyReported = busy;
    if (verdict.stop || !this.o.reconnect) return { errors, reconnectInMs: null };
    this.minDelayMs = verdict.minDelayMs;
    const decision = this.reconnector.schedule(end.code, retry, end.reason || null);
    if ('delayMs' in decision) return { errors, reconnectInMs: decision.delayMs };
    if (decision.error) errors.push(decision.error);
    return { errors, reconnectInMs: null };
  }
}
