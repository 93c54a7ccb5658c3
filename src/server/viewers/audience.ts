import { FrameStreamError } from '../../protocol/index.js';
import type { EncodedFrame } from '../encode/framing.js';
import { RateMeter } from '../encode/window.js';
import type { Viewer } from './viewer.js';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Totals over the audience, gone viewers included. */
export interface AudienceTotals {
  viewers: number;
  framestreamViewers: number;
  sent: number;
  skipped: number;
  capped: number;
  maxBuffered: number;
}

/**
 * The viewers of one channel and the fan-out to them: each frame is offered
 * to every socket as the same bytes, and each viewer's own rule (behind →
 * skip, FPS cap) decides. Counts what gone viewers were sent, so totals
 * never go backwards when someone leaves.
 */
export class Audience implements Iterable<Viewer> {
  /** Frames delivered per second (produced here or relayed from elsewhere). */
  readonly rate = new RateMeter();
  private readonly viewers = new Set<Viewer>();
  private gone = { sent: 0, skipped: 0, capped: 0 };

  constructor(
    /** ms between the stream's frames: the slack a viewer's FPS cap allows. */
    private readonly frameInterval: number,
    private readonly reportError: (err: FrameStreamError) => void,
  ) {}

  get size(): number {
    return this.viewers.size;
  }

  [Symbol.iterator](): Iterator<Viewer> {
    return this.viewers[Symbol.iterator]();
  }

  add(viewer: Viewer): void {
    this.viewers.add(viewer);
  }

  delete(viewer: Viewer): void {
    if (!this.viewers.delete(viewer)) return;
    this.gone.sent += viewer.sent;
    this.gone.skipped += viewer.skipped;
    this.gone.capped += viewer.capped;
  }

  /** The channel's subscriber: one frame to every viewer. */
  deliver = (frame: EncodedFrame): void => {
    this.rate.mark();
    const now = performance.now();
    for (const v of this.viewers) {
      try {
        v.offer(frame, now, this.frameInterval);
      } catch (cause) {
        this.reportError(new FrameStreamError('ERR_SOCKET', `Sending to viewer ${v.info.id} failed: ${message(cause)}`, { cause }));
      }
    }
  };

  /** One text message to every `framestream.v1` viewer, serialised once, through each socket's backlog guard. */
  broadcastText(text: string): void {
    for (const v of this.viewers) v.sendText(text);
  }

  totals(): AudienceTotals {
    const t = { viewers: this.viewers.size, framestreamViewers: 0, ...this.gone, maxBuffered: 0 };
    for (const v of this.viewers) {
      t.sent += v.sent;
      t.skipped += v.skipped;
      t.capped += v.capped;
      if (v.framestream) t.framestreamViewers++;
      t.maxBuffered = Math.max(t.maxBuffered, v.buffered);
    }
    return t;
  }
}
