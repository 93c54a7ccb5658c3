import { wallClockMs, type FrameMetrics } from '../../protocol/index.js';
import type { FrameSink, SourceAdapter } from './adapter.js';
import type { ValidFrame } from './frames.js';

interface Held {
  frame: ValidFrame;
  metrics: FrameMetrics | undefined;
  captureTime: number;
}

/**
 * Frames from an external producer (the ingest endpoint). Pushed, like
 * `push()`: while nobody watches, only the newest frame is held, not
 * encoded. It also knows whether a producer is connected, which viewers
 * see as the source being online or offline.
 */
export class IngestSource implements SourceAdapter {
  readonly name = 'ingest';
  readonly pace = 'pushed';
  /** Server wall clock when the last producer went away; `null` while one is connected. */
  offlineSince: number | null = wallClockMs();
  private sink: FrameSink | undefined;
  private held: Held | undefined;

  get online(): boolean {
    return this.offlineSince === null;
  }

  setOnline(online: boolean): void {
    if (online) this.offlineSince = null;
    else this.offlineSince ??= wallClockMs();
  }

  /** A validated frame from the producer; `done` frees its credit once the stream is through with it. */
  offer(frame: ValidFrame, metrics: FrameMetrics | undefined, done: () => void): void {
    const captureTime = wallClockMs();
    if (this.sink) {
      this.held = undefined;
      this.sink.frame(frame, metrics, captureTime, done);
      return;
    }
    this.held = { frame, metrics, captureTime };
    done(); // held, replacing any older one: the producer may send the next
  }

  start(sink: FrameSink): void {
    this.sink = sink;
    const held = this.held;
    this.held = undefined;
    if (held) sink.frame(held.frame, held.metrics, held.captureTime);
  }

  next(): void {
    // The producer keeps its own pace, within its credits.
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
