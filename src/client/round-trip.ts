import { RollingWindow } from './meters.js';

/** Capture times kept for input frames not yet answered; older ones are forgotten first. */
const REMEMBERED_INPUTS = 256;

/**
 * The round trip of an interactive stream: from the moment an input frame
 * was captured (client clock) to the moment the output frame answering it
 * (its metrics name the input in `inputSeq`) arrived. Both ends are read
 * from this client's `Date.now()`, so no clock offset enters it.
 *
 * Only the first output that answers an input counts: a model that sends
 * several frames per input, or keeps sending without new input, repeats
 * `inputSeq`, and those later frames say nothing about the trip.
 */
export class RoundTrip {
  /** seq → capture time, in seq (and so insertion) order. */
  private readonly captured = new Map<number, number>();
  private readonly window: RollingWindow;

  /** @param window round trips kept for the rolling percentiles */
  constructor(window: number) {
    this.window = new RollingWindow(window);
  }

  /** Input frame `seq` went out, captured at `captureTime`. */
  sent(seq: number, captureTime: number): void {
    this.captured.set(seq, captureTime);
    if (this.captured.size > REMEMBERED_INPUTS) this.captured.delete(this.captured.keys().next().value!);
  }

  /**
   * An output frame answering `inputSeq` arrived at `receivedTime`: returns
   * its round trip in ms, or `null` when it answers no input of ours (a
   * spectator's frames, a repeat, an input forgotten long ago).
   */
  answered(inputSeq: number | undefined, receivedTime: number): number | null {
    if (inputSeq === undefined) return null;
    const captureTime = this.captured.get(inputSeq);
    if (captureTime === undefined) return null;
    // Inputs up to this one are answered or were replaced by a newer one on
    // the way to the model: none of them will be the first answer again.
    for (const seq of this.captured.keys()) {
      if (seq > inputSeq) break;
      this.captured.delete(seq);
    }
    const ms = Math.max(0, receivedTime - captureTime);
    this.window.push(ms);
    return ms;
  }

  /** Rolling median and 95th percentile, ms; `null` before any measured trip. */
  percentiles(): { p50: number; p95: number } | null {
    const ps = this.window.percentiles([50, 95]);
    return ps ? { p50: ps[0]!, p95: ps[1]! } : null;
  }

  /** The connection ended: no round trip is current until the next one is measured. */
  endConnection(): void {
    this.window.clear();
  }

  /** Forgets every input too (a new session, or `disconnect()`). */
  clear(): void {
    this.captured.clear();
    this.window.clear();
  }
}
