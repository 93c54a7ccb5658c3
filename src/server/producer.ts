import { encodeFrameMetrics, FrameStreamError, wallClockMs, type FrameMetrics } from '../protocol/index.js';
import { encodeJpeg, renderNoise, renderPattern, type RgbImage } from './builtin.js';
import { unwrapSourceFrame, validateFrame, validateMetrics, type FrameLimits, type ValidFrame } from './frames.js';
import { EncodePipeline, type PipelineOptions } from './pipeline.js';
import type { FrameSource, SourceFrame } from './types.js';

export type { EncodedFrame } from './pipeline.js';

export interface ProducerOptions extends FrameLimits, PipelineOptions {
  width: number;
  height: number;
  fps: number;
  /** ms an iterable's `next()` may take before it is reported as hung. */
  sourceTimeout: number;
}

// A failing source factory is called again after this long, not every tick.
const FACTORY_RETRY_MS = 1000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Decides what to produce and when: turns a {@link FrameSource} into frames
 * for the {@link EncodePipeline} on a drift-compensated schedule, only while
 * {@link setDemand} says someone is watching.
 */
export class Producer {
  readonly pipeline: EncodePipeline;
  /** Scheduled frames not produced because the encoder was still busy. */
  skippedTicks = 0;

  private source: FrameSource = 'push';
  private demand = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private n = 0;
  private patternFrame = 0;
  private iterator: AsyncIterator<SourceFrame> | undefined;
  private iterableUsed = false;
  private pulling = false;
  private pullTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private snapshotJob: Promise<Buffer> | undefined;

  constructor(private readonly o: ProducerOptions) {
    this.pipeline = new EncodePipeline(o);
  }

  get producing(): boolean {
    return this.timer !== undefined;
  }

  get sourceName(): string {
    return typeof this.source === 'string' ? this.source : 'iterable';
  }

  /** Frames the stream meant to produce but did not (encoder busy, or replaced while waiting). */
  get dropped(): number {
    return this.skippedTicks + this.pipeline.replaced;
  }

  setSource(source: FrameSource): void {
    this.dropIterator();
    this.source = source;
    this.iterableUsed = false;
    this.retryAt = 0;
    this.reschedule();
  }

  /** Whether any viewer (or `alwaysOn`) wants frames; production stops without. */
  setDemand(demand: boolean): void {
    if (demand === this.demand) return;
    this.demand = demand;
    // A factory source is re-created on the next demand; a plain iterable
    // cannot be restarted, so it is only paused.
    if (!demand && typeof this.source === 'function') this.dropIterator();
    this.reschedule();
  }

  /** Validates synchronously (throws naming the field), then encodes and publishes. */
  push(frame: unknown, metrics?: unknown): void {
    const valid = validateFrame(frame, this.o);
    const m = validateMetrics(metrics);
    if (m) encodeFrameMetrics(m); // throws now if the metrics cannot fit a header
    this.pipeline.submitLatest(valid, m, wallClockMs());
  }

  /**
   * A JPEG for the snapshot route: the stream's current frame while it is
   * producing (a snapshot then costs nothing, however many are asked for);
   * otherwise a freshly rendered one for the built-in sources, shared by
   * concurrent requests, or the latest frame (pulling one if there is none).
   */
  async snapshot(timeoutMs = 5000): Promise<Uint8Array | undefined> {
    const latest = this.pipeline.latest;
    if (latest && (this.producing || this.source === 'push')) return latest.payload;
    const source = this.source;
    if (source === 'noise' || source === 'pattern') {
      this.snapshotJob ??= encodeJpeg(this.render(source), this.o.quality).finally(() => {
        this.snapshotJob = undefined;
      });
      return this.snapshotJob;
    }
    if (typeof source !== 'string') {
      const next = this.pipeline.nextFrame(timeoutMs);
      this.pull();
      await next;
    }
    return this.pipeline.latest?.payload;
  }

  close(): void {
    this.closed = true;
    this.demand = false;
    this.dropIterator();
    this.reschedule();
    this.pipeline.close();
  }

  private reschedule(): void {
    const want = this.demand && !this.closed && this.source !== 'push';
    if (want && !this.timer) {
      this.t0 = performance.now();
      this.n = 0;
      this.timer = setTimeout(this.loop, 0).unref();
    } else if (!want && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  // Deadlines are t0 + n × interval, so encode time and timer lateness never
  // accumulate into drift. A timer a little late (up to two intervals, common
  // on a busy machine) is made up with one immediate frame; further behind,
  // production skips ahead to the next deadline instead of bursting.
  private loop = (): void => {
    this.tick();
    if (!this.timer) return; // stopped during the tick
    const interval = 1000 / this.o.fps;
    const now = performance.now();
    this.n += 1;
    if (now - (this.t0 + this.n * interval) > 2 * interval) {
      const next = Math.floor((now - this.t0) / interval) + 1;
      this.skippedTicks += next - this.n;
      this.n = next;
    }
    this.timer = setTimeout(this.loop, Math.max(0, this.t0 + this.n * interval - now)).unref();
  };

  private tick(): void {
    const source = this.source;
    if (source === 'noise' || source === 'pattern') {
      if (this.pipeline.busy) {
        this.skippedTicks++;
        return;
      }
      const img = this.render(source);
      this.pipeline.submit({ kind: 'raw', ...img }, undefined, wallClockMs());
    } else if (source !== 'push') {
      this.pull();
    }
  }

  private render(source: 'noise' | 'pattern'): RgbImage {
    return source === 'noise'
      ? renderNoise(this.o.width, this.o.height)
      : renderPattern(this.o.width, this.o.height, this.patternFrame++);
  }

  private getIterator(): AsyncIterator<SourceFrame> | undefined {
    if (this.iterator) return this.iterator;
    const source = this.source;
    if (typeof source === 'string') return undefined;
    if (typeof source !== 'function') {
      if (this.iterableUsed) return undefined; // exhausted or failed: it cannot be restarted
      this.iterableUsed = true;
      return (this.iterator = source[Symbol.asyncIterator]());
    }
    if (performance.now() < this.retryAt) return undefined;
    try {
      const iterable = source();
      if (typeof iterable?.[Symbol.asyncIterator] !== 'function') {
        throw new TypeError('Expected the `source` function to return an async iterable');
      }
      return (this.iterator = iterable[Symbol.asyncIterator]());
    } catch (cause) {
      this.retryAt = performance.now() + FACTORY_RETRY_MS;
      this.o.error(new FrameStreamError('ERR_SOURCE_FAILED', `Frame source failed to start: ${message(cause)}`, { cause }));
      return undefined;
    }
  }

  // One `next()` at a time, at most once per tick: the source is pulled at
  // the stream's pace, and a slow source (a model) sets a slower one.
  private pull(): void {
    if (this.pulling || this.pipeline.busy || this.closed) return;
    const it = this.getIterator();
    if (!it) return;
    this.pulling = true;
    let next: Promise<IteratorResult<SourceFrame>>;
    try {
      next = Promise.resolve(it.next());
    } catch (cause) {
      next = Promise.reject(cause);
    }
    // A hung model neither yields nor fails, so nothing else would tell the
    // app; the call is still awaited, since a slow source may yet answer.
    const timer = setTimeout(() => {
      if (it !== this.iterator || this.closed) return;
      this.o.error(new FrameStreamError('ERR_SOURCE_TIMEOUT', `Frame source did not yield within ${this.o.sourceTimeout} ms`));
    }, this.o.sourceTimeout).unref();
    this.pullTimer = timer;
    next.then(
      (result) => {
        clearTimeout(timer);
        this.pulling = false;
        if (it !== this.iterator) return; // the source was switched meanwhile
        if (result.done) {
          this.iterator = undefined;
          return;
        }
        const captureTime = wallClockMs();
        let valid: ValidFrame;
        let metrics: FrameMetrics | undefined;
        try {
          const { frame, metrics: m } = unwrapSourceFrame(result.value);
          valid = validateFrame(frame, this.o, 'source frame');
          metrics = validateMetrics(m, 'source frame metrics');
        } catch (cause) {
          this.o.error(new FrameStreamError('ERR_INVALID_FRAME', message(cause), { cause }));
          return;
        }
        this.pipeline.submit(valid, metrics, captureTime);
      },
      (cause: unknown) => {
        clearTimeout(timer);
        this.pulling = false;
        if (it !== this.iterator) return;
        this.iterator = undefined;
        this.retryAt = performance.now() + FACTORY_RETRY_MS;
        this.o.error(new FrameStreamError('ERR_SOURCE_FAILED', `Frame source failed: ${message(cause)}`, { cause }));
      },
    );
  }

  private dropIterator(): void {
    const it = this.iterator;
    this.iterator = undefined;
    this.pulling = false;
    clearTimeout(this.pullTimer);
    if (it?.return) {
      // Lets a generator run its `finally`; its own failure there is not ours to report twice.
      Promise.resolve()
        .then(() => it.return!())
        .catch(() => {});
    }
  }
}
