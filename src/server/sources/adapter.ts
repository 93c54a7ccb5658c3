import type { FrameMetrics } from '../../protocol/index.js';
import type { ValidFrame } from './frames.js';

/** Where an adapter hands its frames. */
export interface FrameSink {
  /**
   * A validated frame, in a buffer the stream owns, with when it was
   * captured. `done` is called once the stream is through with it (shown,
   * replaced by a newer one, or failed).
   */
  frame(frame: ValidFrame, metrics: FrameMetrics | undefined, captureTime: number, done?: () => void): void;
}

/**
 * How a source's frames come about, which is all the scheduler needs to know:
 * - `timed`: made on the stream's schedule, at once (the built-in renderers);
 * - `pulled`: asked for on the schedule, at most one request at a time, and
 *   a source slower than the schedule sets a slower pace (an async iterable);
 * - `pushed`: arrive whenever the app (or a remote producer) has one; no schedule.
 */
export type SourcePace = 'timed' | 'pulled' | 'pushed';

/**
 * One kind of frame source behind one small interface, so the scheduler
 * never branches on what a source is. Every method must not throw (and no
 * promise an adapter creates may reject unhandled): failures go to
 * {@link FrameSink.error}.
 */
export interface SourceAdapter {
  /** What stats and `hello` call the source: `noise`, `pattern`, `push`, `iterable`. */
  readonly name: string;
  readonly pace: SourcePace;
  /** Someone wants frames: produce into `sink` until {@link stop}. */
  start(sink: FrameSink): void;
  /** Produce one frame now (`timed` and `pulled`; the scheduler calls it when the encoder has room). */
  next(): void;
  /** Nobody wants frames any more: pause, releasing what can be made again. */
  stop(): void;
  /**
   * A frame for the snapshot route while nothing is being produced, made
   * without starting anything expensive (a built-in renders one; a pushed
   * source returns the last frame it was given). `undefined` when the source
   * cannot, e.g. a model, which a snapshot must never start.
   */
  still(): ValidFrame | undefined;
  /** The adapter is replaced or the stream closes; it must let go of everything. */
  close(): void;
}

/** Pushed sources also take frames from the app. */
export interface PushAdapter extends SourceAdapter {
  readonly pace: 'pushed';
  /** Validates at once (throwing a `TypeError`/`RangeError` naming the field), then hands the frame on. */
  push(frame: unknown, metrics: unknown): void;
}
