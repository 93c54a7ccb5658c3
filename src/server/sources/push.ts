import { encodeFrameMetrics } from '../../protocol/index.js';
import type { PushAdapter } from './adapter.js';
import { validateFrame, validateMetrics, type FrameLimits } from './frames.js';
import { PushedSource } from './pushed.js';

/** Frames the app hands over with `push()`, validated at the call. */
export class PushSource extends PushedSource implements PushAdapter {
  readonly name = 'push';

  constructor(private readonly limits: FrameLimits) {
    super();
  }

  push(frame: unknown, metrics: unknown): void {
    const valid = validateFrame(frame, this.limits);
    const m = validateMetrics(metrics);
    if (m) encodeFrameMetrics(m); // throws now if the metrics cannot fit a header
    this.deliver(valid, m);
  }
}
