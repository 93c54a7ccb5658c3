import { encodeFrameMetrics, wallClockMs, type FrameMetrics } from '../../protocol/index.js';
import type { FrameSink, PushAdapter } from './adapter.js';
import { validateFrame, validateMetrics, type FrameLimits, type ValidFrame } from './frames.js';

interface Held {
  frame: ValidFrame;
  metrics: FrameMetrics | undefined;
  captureTime: number;
}

/**
 * Frames the app hands over with `push()`. While nobody watches, the newest
 * one is only held, not encoded: an app pushing at full rate to an empty
 * room costs a copy per frame, not an encode. The first viewer (or a
 * snapshot) gets that frame.
 */
export class PushSource implements PushAdapter {
  readonly name = 'push';
  readonly pace = 'pushed';
  private sink: FrameSink | undefined;
  private held: Held | undefined;

  constructor(private readonly limits: FrameLimits) {}

  push(frame: unknown, metrics: unknown): void {
    const valid = validateFrame(frame, this.limits);
    const m = validateMetrics(metrics);
    if (m) encodeFrameMetrics(m); // throws now if the metrics cannot fit a header
    const captureTime = wallClockMs();
    if (this.sink) {
      this.held = undefined;
      this.sink.frame(valid, m, captureTime);
    } else {
      this.held = { frame: valid, metrics: m, captureTime };
    }
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
