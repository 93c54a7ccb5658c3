import { FrameStreamError } from '../protocol/index.js';
import type { EncodePipeline } from './pipeline.js';
import type { Viewer } from './viewer.js';

const METRICS_INTERVAL_MS = 1000;

/**
 * The periodic work a stream does while it has viewers: heartbeat pings
 * that find dead peers, and the once-a-second `metrics` message.
 */
export class Housekeeping {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly viewers: ReadonlySet<Viewer>,
    private readonly pipeline: EncodePipeline,
    private readonly heartbeatInterval: number,
    private readonly reportError: (err: FrameStreamError) => void,
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
    for (const v of this.viewers) {
      if (!v.alive) {
        this.reportError(new FrameStreamError('ERR_HEARTBEAT_TIMEOUT', `Viewer ${v.info.id} did not answer a heartbeat ping`));
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
    const p = this.pipeline;
    const encodeMs = p.encodeMs.median();
    const inferenceMs = p.inferenceMs.median();
    const shared = {
      fps: p.rate.perSecond(),
      viewers: this.viewers.size,
      ...(encodeMs !== undefined && { encodeMs }),
      ...(inferenceMs !== undefined && { inferenceMs }),
      ...(p.latest && { frameBytes: p.latest.payload.byteLength }),
    };
    for (const v of this.viewers) {
      if (v.framestream) v.sendMessage({ type: 'metrics', metrics: { ...shared, skipped: v.skipped } });
    }
  }
}
