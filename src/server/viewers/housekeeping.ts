import { FrameStreamError, type ServerMetrics } from '../../protocol/index.js';
import type { Audience } from './audience.js';
import type { Viewer } from './viewer.js';

const METRICS_INTERVAL_MS = 1000;

/** Stream-wide figures for the once-a-second `metrics` message. */
export type SharedMetrics = Omit<ServerMetrics, 'skipped' | 'capped'> & Pick<ServerMetrics, 'fps' | 'viewers'>;

/**
 * The periodic work a stream does while it has viewers: heartbeat pings
 * that find dead peers, and the once-a-second `metrics` message.
 */
export class Housekeeping {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audience: Audience,
    /** Called once a second: the figures for each viewer (its stream's, or its session's). */
    private readonly metrics: () => (viewer: Viewer) => SharedMetrics,
    private readonly heartbeatInterval: number,
    private readonly viewerFault: (viewer: Viewer, err: FrameStreamError) => void,
  ) {}

  // Unref'd: the host server keeps the process alive, our timers must not.
  start(): void {
    this.metricsTimer ??= setInterval(() => this.sendMetrics(), METRICS_INTERVAL_MS).unref();
    if (this.heartbeatInterval > 0) {
      this.heartbeatTimer ??= setInterval(() => this.heartbeat(), this.heartbeatInterval).unref();
    }
  }

  stop(): void {
    clearInterval(this.metricsTimer);
    clearInterval(this.heartbeatTimer);
    this.metricsTimer = this.heartbeatTimer = undefined;
  }

  // A peer whose TCP connection died without a FIN never closes on its
  // own; one unanswered ping is enough to call it dead.
  private heartbeat(): void {
    for (const v of this.audience) {
      if (!v.alive) {
        this.viewerFault(v, new FrameStreamError('ERR_HEARTBEAT_TIMEOUT', `Viewer ${v.info.id} did not answer a heartbeat ping`));
        v.ws.terminate();
        continue;
      }
      v.alive = false;
      try {
        v.ws.ping();
      } catch {
        v.ws.terminate();
      }
    }
  }

  private sendMetrics(): void {
    const figuresFor = this.metrics();
    for (const v of this.audience) {
      if (v.framestream) v.sendMessage({ type: 'metrics', metrics: { ...figuresFor(v), skipped: v.skipped, capped: v.capped } });
    }
  }
}
