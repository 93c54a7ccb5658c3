import { FrameStreamError, type FrameMetrics } from '../protocol/index.js';
import { FrameEncoder } from './encode/encoder.js';
import { Framer, type EncodedFrame, type EncodedImage } from './encode/framing.js';
import { encodeJpeg } from './encode/jpeg.js';
import { RateMeter, SampleWindow } from './encode/window.js';
import { createSourceAdapter, type PushAdapter, type SourceAdapter } from './sources/index.js';
import type { FrameLimits, ValidFrame } from './sources/frames.js';
import type { FrameSource } from './types.js';

export type { EncodedFrame } from './encode/framing.js';

export interface ProducerOptions extends FrameLimits {
  width: number;
  height: number;
  fps: number;
  quality: number;
  /** ms an iterable's `next()` may take before it is reported as hung. */
  sourceTimeout: number;
  /** Receives every produced frame, once, in order (the stream publishes it on its channel). */
  publish: (frame: EncodedFrame) => void;
  error: (err: FrameStreamError) => void;
  /** Adds to a frame's metrics as the source hands it over (a session names the input it answers). */
  annotate?: (metrics: FrameMetrics | undefined) => FrameMetrics | undefined;
  /** An iterable source finished (its iterator said done). */
  finished?: () => void;
  /**
   * Pull a pulled source again as soon as it handed a frame over, instead
   * of at the next tick. A session's model waits on its viewer's input, not
   * on a clock: on the schedule, each input would wait up to a frame
   * interval before the model even saw it.
   */
  eager?: boolean;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Decides when to produce: drives the current {@link SourceAdapter} on a
 * drift-compensated schedule while {@link setDemand} says someone is
 * watching, sends its frames through the encoder, and frames them once.
 * It knows a source only by its pace (timed, pulled or pushed).
 */
export class Producer {
  readonly encoder: FrameEncoder;
  readonly inferenceMs = new SampleWindow();
  readonly rate = new RateMeter();
  /** Scheduled frames not produced because the encoder was still busy. */
  skippedTicks = 0;

  private adapter: SourceAdapter;
  private readonly framer = new Framer();
  private demand = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private n = 0;
  private still: { frame: ValidFrame; jpeg: Promise<Buffer>; pending: boolean } | undefined;
  private readonly sink = {
    frame: (frame: ValidFrame, metrics: FrameMetrics | undefined, captureTime: number, done?: () => void) => {
      this.encoder.submit({ frame, metrics: this.o.annotate ? this.o.annotate(metrics) : metrics, captureTime, done });
      if (this.o.eager) setImmediate(this.pullNow);
    },
  };

  constructor(private readonly o: ProducerOptions) {
    this.encoder = new FrameEncoder({ quality: o.quality, output: (image) => this.output(image), error: o.error });
    this.adapter = createSourceAdapter('push', o);
  }

  get producing(): boolean {
    return this.timer !== undefined || (this.demand && this.adapter.pace === 'pushed');
  }

  get sourceName(): string {
    return this.adapter.name;
  }

  /** Whether frames come on the stream's schedule (`false` for pushed sources, which set their own pace). */
  get scheduled(): boolean {
    return this.adapter.pace !== 'pushed';
  }

  /** True when the source makes a fresh frame at every tick, so an old one is not worth showing a newcomer. */
  get timed(): boolean {
    return this.adapter.pace === 'timed';
  }

  /** Frames produced so far (the last `seq`). */
  get produced(): number {
    return this.framer.count;
  }

  /** Frames the stream meant to produce but did not (encoder busy, or replaced while waiting). */
  get dropped(): number {
    return this.skippedTicks + this.encoder.replaced;
  }

  setSource(source: FrameSource): void {
    this.useAdapter(createSourceAdapter(source, this.o));
  }

  /** Replaces the source with an adapter made elsewhere (the ingest endpoint's). */
  useAdapter(adapter: SourceAdapter): void {
    this.adapter.close();
    this.still = undefined;
    this.adapter = adapter;
    if (this.demand && !this.closed) this.adapter.start(this.sink);
    this.reschedule();
  }

  /** Whether any viewer (or `alwaysOn`) wants frames; production stops without. */
  setDemand(demand: boolean): void {
    if (demand === this.demand || this.closed) return;
    this.demand = demand;
    if (demand) this.adapter.start(this.sink);
    else this.adapter.stop();
    this.reschedule();
  }

  /** Hands a frame to a pushed source; throws a `TypeError` naming the source when there is none. */
  push(frame: unknown, metrics?: unknown): void {
    const adapter = this.adapter;
    if (!('push' in adapter)) {
      throw new TypeError(
        `\`push()\` needs a stream created with \`source: 'push'\` (or switched with \`setSource('push')\`); this stream's source is '${adapter.name}'`,
      );
    }
    (adapter as PushAdapter).push(frame, metrics);
  }

  /**
   * A JPEG for the snapshot route, without ever starting a source: the
   * current frame while producing (free, however many are asked for);
   * otherwise what the source can give without work (a built-in renders
   * one, a pushed source's held frame is encoded once and shared), or the
   * latest frame, or `undefined` (the route answers 503).
   */
  async snapshot(latest: EncodedFrame | undefined): Promise<Uint8Array | undefined> {
    if (latest && this.producing) return latest.payload;
    // Concurrent requests for a built-in's fresh frame share one render and encode.
    if (this.still?.pending && this.adapter.pace === 'timed') return this.still.jpeg;
    const frame = this.adapter.still();
    if (!frame) return latest?.payload;
    if (frame.kind === 'jpeg') return frame.bytes;
    if (this.still?.frame === frame) return this.still.jpeg; // a held frame is encoded once
    const entry = { frame, jpeg: encodeJpeg(frame, this.o.quality), pending: true };
    this.still = entry;
    entry.jpeg.then(
      () => (entry.pending = false),
      () => this.still === entry && (this.still = undefined), // the caller reports the failure
    );
    return entry.jpeg;
  }

  close(): void {
    this.closed = true;
    this.demand = false;
    this.adapter.close();
    this.reschedule();
    this.encoder.close();
  }

  private output(image: EncodedImage): void {
    let frame: EncodedFrame;
    try {
      frame = this.framer.frame(image);
    } catch (cause) {
      this.o.error(new FrameStreamError('ERR_ENCODE_FAILED', `Framing an encoded frame failed: ${message(cause)}`, { cause }));
      return;
    }
    if (image.metrics?.inferenceMs !== undefined) this.inferenceMs.add(image.metrics.inferenceMs);
    this.rate.mark();
    this.o.publish(frame);
    if (this.o.eager) this.pullNow(); // the encoder has room again
  }

  private pullNow = (): void => {
    if (this.demand && !this.closed && this.adapter.pace === 'pulled' && !this.encoder.busy) this.adapter.next();
  };

  private reschedule(): void {
    const want = this.demand && !this.closed && this.adapter.pace !== 'pushed';
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

  // The encoder holding as many frames as is useful means this tick's frame
  // would only wait: a timed source skips it, a pulled one is asked later.
  private tick(): void {
    if (this.encoder.busy) {
      if (this.adapter.pace === 'timed') this.skippedTicks++;
      return;
    }
    this.adapter.next();
  }
}
