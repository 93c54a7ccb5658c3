import { wallClockMs, type FrameMetrics } from '../../protocol/index.js';
import type { FrameSink, SourceAdapter } from './adapter.js';
import type { ValidFrame } from './frames.js';

interface Held {
  frame: ValidFrame;
  metrics: FrameMetrics | undefined;
  captureTime: number;
}

/**
 * What every pushed source shares (the app's `push()`, an external
 * producer): frames arrive at their own pace. While nobody watches, only
 * the newest is held, not encoded, so a source pushing at full rate to an
 * empty room costs a copy per frame, not an encode; the first viewer (or a
 * snapshot) gets that frame.
 */
export abstract class PushedSource implements SourceAdapter {
  abstract readonly name: string;
  readonly pace = 'pushed';
  private sink: FrameSink | undefined;
  private held: Held | undefined;

  /** Hands on a validated frame; `done` runs once the stream is through with it (at once when it is only held). */
  protected deliver(frame: ValidFrame, metrics: FrameMetrics | undefined, done?: () => void): void {
    const captureTime = wallClockMs();
    if (this.sink) {
      this.held = undefined;
      this.sink.frame(frame, metrics, captureTime, done);
      return;
    }
    this.held = { frame, metrics, captureTime };
    done?.();
  }

  start(sink: FrameSink): void {
    this.sink = sink;
    const held = this.held;
    this.held = undefined;
    if (held) sink.frame(held.frame, held.metrics, held.captureTime);
  }

  next(): void {
    // Pushed frames keep their own pace.
  }

  stop(): void {
    this.sink = undefined;
  }

  still(): ValidFrame | undefined {
    return this.held?.frame;
  }

  close(): void {
    this.sink = undefined;
    this.held = undefined;
  }
}
