import { wallClockMs } from '../protocol/index.js';

/** Round trips a connection collects quickly, every {@link WARMUP_PING_MS}, before pinging at `pingInterval`. */
const WARMUP_ROUND_TRIPS = 4;
const WARMUP_PING_MS = 200;

/** What a {@link Heartbeat} needs of its connection. */
export interface HeartbeatPeer {
  /** Sends a ping message; false when the socket cannot take it. */
  send(message: { type: 'ping'; id: number; clientTime: number }): void;
  /** Round trips measured on this connection so far. */
  roundTrips(): number;
  /** Nothing arrived for over `idleMs`: the connection is dead. */
  dead(idleMs: number): void;
}

/**
 * The pings of one framestream.v1 connection: they feed the clock-offset
 * estimate and tell a dead peer from a quiet one.
 *
 * Idleness is counted in ping ticks with no message in between, not in
 * milliseconds since the last message: after the event loop was starved
 * (or a background tab's timers were throttled) the overdue tick runs
 * before the pong waiting in the I/O queue, and a clock comparison would
 * call a live connection dead. Between two ticks I/O is always processed.
 */
export class Heartbeat {
  private pingId = 0;
  private quietTicks = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private warmup: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly opts: { pingInterval: number; idleTimeoutMs: number },
    private readonly peer: HeartbeatPeer,
  ) {}

  /** Pings now and then every `pingInterval`. */
  start(): void {
    this.stop();
    this.quietTicks = 0;
    this.ping();
    this.ticker = setInterval(() => this.tick(), this.opts.pingInterval);
  }

  stop(): void {
    clearInterval(this.ticker);
    clearTimeout(this.warmup);
    this.ticker = this.warmup = undefined;
  }

  /** Something arrived: the peer is alive. */
  heard(): void {
    this.quietTicks = 0;
  }

  /**
   * A pong was recorded. A connection's first estimate is often poor (the
   * server is starting its source, the page its worker, the pong queues
   * behind the first frames) and the next regular ping is `pingInterval`
   * away; a few quick pings at the start replace it within a fraction of a
   * second.
   */
  ponged(): void {
    const quick = Math.min(WARMUP_PING_MS, this.opts.pingInterval);
    if (this.ticker === undefined || this.peer.roundTrips() >= WARMUP_ROUND_TRIPS || quick === this.opts.pingInterval) return;
    clearTimeout(this.warmup);
    this.warmup = setTimeout(() => this.ping(), quick);
  }

  private tick(): void {
    const { idleTimeoutMs, pingInterval } = this.opts;
    if (idleTimeoutMs > 0 && ++this.quietTicks > Math.ceil(idleTimeoutMs / pingInterval)) {
      this.stop();
      return this.peer.dead(idleTimeoutMs);
    }
    this.ping();
  }

  private ping(): void {
    this.peer.send({ type: 'ping', id: ++this.pingId, clientTime: wallClockMs() });
  }
}
