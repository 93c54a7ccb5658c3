import { wallClockMs, type FrameMetrics } from '../../protocol/index.js';
import type { ValidFrame } from './frames.js';
import { PushedSource } from './pushed.js';

/**
 * Frames from an external producer (the ingest endpoint), pushed like the
 * app's own. It also knows whether a producer is connected, which viewers
 * see as the source being online or offline.
 */
export class IngestSource extends PushedSource {
  readonly name = 'ingest';
  /** Server wall clock when the last producer went away (or the stream started); `null` while one is connected. */
  offlineSince: number | null = wallClockMs();

  get online(): boolean {
    return this.offlineSince === null;
  }

  setOnline(online: boolean): void {
    if (online) this.offlineSince = null;
    else this.offlineSince ??= wallClockMs();
  }

  /** A validated frame from the producer; `done` frees its credit once the stream is through with it. */
  offer(frame: ValidFrame, metrics: FrameMetrics | undefined, done: () => void): void {
    this.deliver(frame, metrics, done);
  }
}
