import { ClockOffsetEstimator } from './clock-offset.js';
import { FpsMeter, RollingWindow } from './meters.js';
import type { ClientStats } from './types.js';

/**
 * What the client counts about the frames it receives: totals, drops, FPS,
 * latency and the clock offset those latencies are corrected with.
 *
 * Drops: the server numbers every frame its stream produces and does not
 * send some to a viewer: `skipped` ones because its socket was behind (lost
 * to the viewer) and `capped` ones because of the viewer's own FPS cap (on
 * purpose). Its `metrics` messages report both, counted since the connection
 * opened. Without a cap, the client sees the skipped frames as gaps in `seq`
 * as well, sooner; both count the same frames, so per connection the larger
 * of the two is taken rather than their sum (gaps lag the server's count
 * until the next frame arrives, the server's count lags the gaps until its
 * next metrics message). With a cap, gaps are expected and say nothing about
 * loss, so they are not counted from the moment the cap changes until the
 * server's next metrics message, and not at all while a cap is in force:
 * the server's `skipped` alone counts what was lost. Frames produced while
 * no connection was open are not drops. A `seq` that goes backwards (a
 * restarted server) starts counting again.
 *
 * Latency: each frame's `receivedTime - captureTime` is kept as measured,
 * and the clock offset is applied when the percentiles are asked for. A
 * better offset estimate (the first pong after a `hello`, a pong that did not
 * queue behind frames) so corrects every latency in the window at once,
 * instead of leaving the window to the frames measured with a poor one.
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

  /** `receivedTime - captureTime` per frame, uncorrected. */
  private readonly rawLatency: RollingWindow;
  private readonly fpsMeter = new FpsMeter();
  private droppedEarlier = 0;
  private cappedEarlier = 0;
  private gaps = 0;
  private serverSkipped = 0;
  private serverCapped = 0;
  private lastSeq: number | null = null;
  private localSeq = 0;
  /** A cap is in force on this connection (asked for by this client). */
  private capped = false;
  /** Gaps are not counted until the next server metrics message (the cap just changed). */
  private gapsPaused = false;

  /** @param latencyWindow frames kept for the latency percentiles */
  constructor(latencyWindow: number) {
    this.rawLatency = new RollingWindow(latencyWindow);
  }

  /** Frames the stream produced while connected that were lost to this client (not those its FPS cap left out). */
  get framesDropped(): number {
    return this.droppedEarlier + this.connectionDropped();
  }

  /** Frames the server left out because of this client's FPS cap, as the server reports them. */
  get framesCapped(): number {
    return this.cappedEarlier + this.serverCapped;
  }

  /**
   * A new connection: its `seq`, `skipped` and `capped` figures start
   * afresh, and so does the clock estimate.
   *
   * @param capped whether the connection starts with an FPS cap
   */
  startConnection(now: number, capped = false): void {
    this.foldConnection();
    this.lastSeq = null;
    this.capped = capped;
    this.gapsPaused = false;
    this.clock.clear();
    this.rawLatency.clear();
    this.fpsMeter.reset(now);
  }

  /**
   * The connection ended: no frames arrive, so the rate is 0 and there is
   * no current latency until the next one.
   */
  endConnection(): void {
    this.fps = 0;
    this.rawLatency.clear();
  }

  /**
   * The client asked for a new FPS cap (`null` lifts it). Frames the server
   * sent under the old setting may still arrive, so gaps wait for the
   * server's next metrics message.
   */
  capChanged(capped: boolean): void {
    this.capped = capped;
    this.gapsPaused = true;
    this.lastSeq = null;
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
    if (this.lastSeq !== null && seq > this.lastSeq + 1) {
      if (!this.capped && !this.gapsPaused) this.gaps += seq - this.lastSeq - 1;
    } else if (this.lastSeq !== null && seq <= this.lastSeq) {
      // The stream restarted its numbering: what was counted so far stands.
      this.foldConnection();
    }
    this.lastSeq = seq;
    if (captureTime === null) return null;
    const raw = receivedTime - captureTime;
    if (!Number.isFinite(raw)) return null;
    this.rawLatency.push(raw);
    const offset = this.clock.offsetMs;
    return offset === null ? null : Math.max(0, raw + offset);
  }

  /** The server's `skipped` and `capped` counts for this connection, from a metrics message. */
  recordServerCounts(skipped: unknown, capped: unknown): void {
    if (isCount(skipped)) this.serverSkipped = skipped;
    if (isCount(capped)) this.serverCapped = capped;
    this.gapsPaused = false;
  }

  /** Closes the current FPS window at `now` (monotonic ms) and returns its rate. */
  sampleFps(now: number): number {
    this.fps = this.fpsMeter.sample(now);
    return this.fps;
  }

  /**
   * Rolling latency median and 95th percentile, corrected with the current
   * clock estimate; `null` before any measured frame on this connection.
   */
  latencyPercentiles(): { p50: number; p95: number } | null {
    const offset = this.clock.offsetMs;
    if (offset === null) return null;
    const ps = this.rawLatency.percentiles([50, 95]);
    return ps ? { p50: Math.max(0, ps[0]! + offset), p95: Math.max(0, ps[1]! + offset) } : null;
  }

  /** The frame counts and figures of `getStats()`, as of now. */
  figures(): Pick<ClientStats, 'framesReceived' | 'framesDropped' | 'framesCapped' | 'bytesReceived' | 'fps' | 'latency' | 'clockOffsetMs' | 'clockOffsetErrorMs'> {
    const { framesReceived, framesDropped, framesCapped, bytesReceived, fps } = this;
    return { framesReceived, framesDropped, framesCapped, bytesReceived, fps, latency: this.latencyPercentiles(), clockOffsetMs: this.clock.offsetMs, clockOffsetErrorMs: this.clock.errorMs };
  }

  private connectionDropped(): number {
    return Math.max(this.gaps, this.serverSkipped);
  }

  /** Adds this connection's (or numbering's) counts to the totals and starts them afresh. */
  private foldConnection(): void {
    this.droppedEarlier += this.connectionDropped();
    this.cappedEarlier += this.serverCapped;
    this.gaps = 0;
    this.serverSkipped = 0;
    this.serverCapped = 0;
  }
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
