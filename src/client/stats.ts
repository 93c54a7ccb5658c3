import { ClockOffsetEstimator } from './clock-offset.js';
import { FpsMeter, RollingWindow } from './meters.js';

/**
 * What the client counts about the frames it receives: totals, drops, FPS,
 * latency and the clock offset those latencies are corrected with.
 *
 * Drops: the server numbers every frame its stream produces, and skips some
 * for a slow or FPS-capped viewer, telling it how many in its `metrics`
 * messages (`skipped`, counted since the connection opened). The client sees
 * the same skipped frames as gaps in `seq`. Both count the same frames, so
 * per connection the larger of the two is taken rather than their sum: gaps
 * lag the server's count until the next frame arrives, and the server's count
 * lags the gaps until its next metrics message. Frames produced while no
 * connection was open are not drops. A `seq` that goes backwards (a restarted
 * server) starts counting again.
 */
export class StreamStats {
  /** Frames counted by {@link recordFrame}, over all connections. */
  framesReceived = 0;
  /** Their message sizes, summed. */
  bytesReceived = 0;
  /** The rate over the last complete FPS window, 0 while disconnected. */
  fps = 0;
  /** Server minus client clock; cleared for every connection. */
  readonly clock = new ClockOffsetEstimator();

  private readonly latency: RollingWindow;
  private readonly fpsMeter = new FpsMeter();
  private droppedEarlier = 0;
  private gaps = 0;
  private serverSkipped = 0;
  private lastSeq: number | null = null;
  private localSeq = 0;

  /** @param latencyWindow frames kept for the latency percentiles */
  constructor(latencyWindow: number) {
    this.latency = new RollingWindow(latencyWindow);
  }

  /** Frames the stream produced while connected that never reached this client. */
  get framesDropped(): number {
    return this.droppedEarlier + Math.max(this.gaps, this.serverSkipped);
  }

  /** A new connection: its `seq` and `skipped` figures start afresh, and so does the clock estimate. */
  startConnection(now: number): void {
    this.droppedEarlier = this.framesDropped;
    this.gaps = 0;
    this.serverSkipped = 0;
    this.lastSeq = null;
    this.clock.clear();
    this.fpsMeter.reset(now);
  }

  /** The connection ended: no frames arrive, so the rate is 0 until the next one. */
  endConnection(): void {
    this.fps = 0;
  }

  /** Sequence numbers for a bare-JPEG server, which sends none: 1, 2, 3, … */
  nextLocalSeq(): number {
    return ++this.localSeq;
  }

  /**
   * Counts a frame and returns its capture → receive latency in ms, or `null`
   * when it cannot be known (bare server, or no clock estimate yet).
   * Negative results, which only clock-estimate noise can produce, count as 0.
   */
  recordFrame(seq: number, bytes: number, captureTime: number | null, receivedTime: number): number | null {
    this.framesReceived++;
    this.bytesReceived += bytes;
    this.fpsMeter.count();
    if (this.lastSeq !== null && seq > this.lastSeq + 1) this.gaps += seq - this.lastSeq - 1;
    else if (this.lastSeq !== null && seq <= this.lastSeq) {
      // The stream restarted its numbering: what was counted so far stands.
      this.droppedEarlier = this.framesDropped;
      this.gaps = 0;
      this.serverSkipped = 0;
    }
    this.lastSeq = seq;
    const offset = this.clock.offsetMs;
    if (captureTime === null || offset === null) return null;
    const ms = Math.max(0, receivedTime + offset - captureTime);
    this.latency.push(ms);
    return ms;
  }

  /** The server's `skipped` count for this connection, from a metrics message. */
  recordServerSkipped(skipped: unknown): void {
    if (typeof skipped === 'number' && Number.isFinite(skipped) && skipped >= 0) this.serverSkipped = skipped;
  }

  /** Closes the current FPS window at `now` (monotonic ms) and returns its rate. */
  sampleFps(now: number): number {
    this.fps = this.fpsMeter.sample(now);
    return this.fps;
  }

  /** Rolling latency median and 95th percentile, `null` before any measured frame. */
  latencyPercentiles(): { p50: number; p95: number } | null {
    const ps = this.latency.percentiles([50, 95]);
    return ps ? { p50: ps[0]!, p95: ps[1]! } : null;
  }
}
