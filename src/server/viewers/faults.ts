import type { FrameStreamError } from '../../protocol/index.js';
import type { Viewer } from './viewer.js';

// One report a second per viewer is enough to see who misbehaves and how.
const SAMPLE_MS = 1000;

/**
 * Viewers' misbehaviour (garbage, floods, oversize messages, dead peers,
 * socket failures): every one is counted, and reported at most once per
 * {@link SAMPLE_MS} per viewer, so one hostile client costs a log line a
 * second, not one per message, and never shows up as the stream's `error`.
 */
export class ViewerFaults {
  /** Every fault, reported or not. */
  count = 0;
  private readonly lastReport = new WeakMap<Viewer, { at: number; suppressed: number }>();

  constructor(private readonly emit: (err: FrameStreamError, viewer: Viewer) => void) {}

  report = (viewer: Viewer, err: FrameStreamError): void => {
    this.count++;
    const now = performance.now();
    const last = this.lastReport.get(viewer);
    if (last && now - last.at < SAMPLE_MS) {
      last.suppressed++;
      return;
    }
    if (last && last.suppressed > 0) {
      err.message += ` (and ${last.suppressed} more from this viewer since the last report)`;
    }
    this.lastReport.set(viewer, { at: now, suppressed: 0 });
    this.emit(err, viewer);
  };

  forget(viewer: Viewer): void {
    this.lastReport.delete(viewer);
  }
}
