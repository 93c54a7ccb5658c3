import {
  encodeFrameMessage,
  encodeFrameMetrics,
  FrameStreamError,
  wallClockMs,
  type FrameMeta,
  type FrameMetrics,
} from '../protocol/index.js';
import { encodeJpeg, renderNoise, renderPattern, type RgbImage } from './builtin.js';
import { unwrapSourceFrame, validateFrame, validateMetrics, type FrameLimits, type ValidFrame } from './frames.js';
import type { FrameSource, SourceFrame } from './types.js';
import { RateMeter, SampleWindow } from './window.js';

/** One produced frame: built once, the same bytes go to every viewer. */
export interface EncodedFrame {
  meta: FrameMeta;
  /** The whole `framestream.v1` message (header, metrics, JPEG). */
  message: Buffer;
  /** The JPEG alone: a view into `message`, which is what bare viewers get. */
  payload: Buffer;
}

export interface ProducerOptions extends FrameLimits {
  width: number;
  height: number;
  fps: number;
  quality: number;
  publish: (frame: EncodedFrame) => void;
  error: (err: FrameStreamError) => void;
}

// Two frames in the encoder at once overlap producing frame n+1 with sending
// frame n; more would only queue work the stream then has to drop.
const MAX_IN_FLIGHT = 2;
// A failing source factory is called again after this long, not every tick.
const FACTORY_RETRY_MS = 1000;

/** An encoded frame waiting for its turn to be published. */
interface Finished {
  jpeg: Uint8Array;
  metrics: FrameMetrics | undefined;
  width: number;
  height: number;
  captureTime: number;
  encodedTime: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Turns a {@link FrameSource} into encoded frames on a drift-compensated
 * schedule, only while {@link setDemand} says someone is watching.
 */
export class Producer {
  latest: EncodedFrame | undefined;
  produced = 0;
  dropped = 0;
  readonly encodeMs = new SampleWindow();
  readonly inferenceMs = new SampleWindow();
  readonly rate = new RateMeter();

  private source: FrameSource = 'push';
  private demand = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private n = 0;
  private inFlight = 0;
  private ticket = 0;
  private lastTicket = 0;
  private readonly finished = new Map<number, Finished | undefined>();
  private seq = 0;
  private patternFrame = 0;
  private pendingPush: { frame: ValidFrame; metrics: FrameMetrics | undefined; captureTime: number } | undefined;
  private iterator: AsyncIterator<SourceFrame> | undefined;
  private iterableUsed = false;
  private pulling = false;
  private retryAt = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly o: ProducerOptions) {}

  get producing(): boolean {
    return this.timer !== undefined;
  }

  get sourceName(): string {
    return typeof this.source === 'string' ? this.source : 'iterable';
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
    const captureTime = wallClockMs();
    // Latest frame wins: an app pushing faster than the encoder keeps up
    // replaces the waiting frame instead of building a queue.
    if (valid.kind === 'raw' && this.inFlight >= MAX_IN_FLIGHT) {
      if (this.pendingPush) this.dropped++;
      this.pendingPush = { frame: valid, metrics: m, captureTime };
      return;
    }
    void this.produce(valid, m, captureTime);
  }

  /**
   * A JPEG for the snapshot route: a freshly rendered one for the built-in
   * sources, otherwise the latest frame (pulling one first if there is none).
   */
  async snapshot(timeoutMs = 5000): Promise<Uint8Array | undefined> {
    if (this.source === 'noise' || this.source === 'pattern') {
      return encodeJpeg(this.render(this.source), this.o.quality);
    }
    if (this.latest && (this.producing || this.source === 'push')) return this.latest.payload;
    if (typeof this.source !== 'string') {
      const next = this.nextFrame(timeoutMs);
      this.pull();
      await next;
    }
    return this.latest?.payload;
  }

  close(): void {
    this.closed = true;
    this.demand = false;
    this.dropIterator();
    this.reschedule();
    for (const wake of this.waiters) wake();
  }

  private nextFrame(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs).unref();
      this.waiters.add(done);
    });
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
  // accumulate into drift. When production falls more than a frame behind,
  // it skips ahead to the next deadline instead of bursting to catch up.
  private loop = (): void => {
    this.tick();
    if (!this.timer) return; // stopped during the tick
    const interval = 1000 / this.o.fps;
    const now = performance.now();
    this.n += 1;
    if (now - (this.t0 + this.n * interval) > interval) {
      const next = Math.floor((now - this.t0) / interval) + 1;
      this.dropped += next - this.n;
      this.n = next;
    }
    this.timer = setTimeout(this.loop, Math.max(0, this.t0 + this.n * interval - now)).unref();
  };

  private tick(): void {
    const source = this.source;
    if (source === 'noise' || source === 'pattern') {
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.dropped++;
        return;
      }
      const img = this.render(source);
      void this.produce({ kind: 'raw', ...img }, undefined, wallClockMs());
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

  private pull(): void {
    if (this.pulling || this.inFlight >= MAX_IN_FLIGHT || this.closed) return;
    const it = this.getIterator();
    if (!it) return;
    this.pulling = true;
    let next: Promise<IteratorResult<SourceFrame>>;
    try {
      next = Promise.resolve(it.next());
    } catch (cause) {
      next = Promise.reject(cause);
    }
    next.then(
      (result) => {
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
        void this.produce(valid, metrics, captureTime);
      },
      (cause: unknown) => {
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
    if (it?.return) {
      // Lets a generator run its `finally`; its own failure there is not ours to report twice.
      Promise.resolve()
        .then(() => it.return!())
        .catch(() => {});
    }
  }

  // Two frames can be in the encoder at once and finish out of order. Each
  // takes a ticket at capture and is published strictly in ticket order, so
  // viewers see frames in order and none is thrown away for finishing late.
  private async produce(frame: ValidFrame, metrics: FrameMetrics | undefined, captureTime: number): Promise<void> {
    const ticket = ++this.ticket;
    this.inFlight++;
    let done: Finished | undefined;
    try {
      let jpeg: Uint8Array;
      let all = metrics;
      if (frame.kind === 'jpeg') {
        jpeg = frame.bytes;
      } else {
        const started = performance.now();
        jpeg = await encodeJpeg(frame, this.o.quality);
        const encodeMs = Math.round((performance.now() - started) * 100) / 100;
        this.encodeMs.add(encodeMs);
        all = { ...metrics, encodeMs };
      }
      done = { jpeg, metrics: all, width: frame.width, height: frame.height, captureTime, encodedTime: wallClockMs() };
    } catch (cause) {
      this.o.error(new FrameStreamError('ERR_ENCODE_FAILED', `Encoding a frame failed: ${message(cause)}`, { cause }));
    } finally {
      this.inFlight--;
      this.finished.set(ticket, done);
      this.flush();
      const pending = this.pendingPush;
      if (pending && this.inFlight < MAX_IN_FLIGHT && !this.closed) {
        this.pendingPush = undefined;
        void this.produce(pending.frame, pending.metrics, pending.captureTime);
      }
    }
  }

  private flush(): void {
    while (this.finished.has(this.lastTicket + 1)) {
      const done = this.finished.get(++this.lastTicket);
      this.finished.delete(this.lastTicket);
      if (done && !this.closed) this.publish(done);
    }
  }

  private publish(done: Finished): void {
    try {
      if (done.metrics?.inferenceMs !== undefined) this.inferenceMs.add(done.metrics.inferenceMs);
      const meta: FrameMeta = {
        seq: ++this.seq,
        captureTime: done.captureTime,
        encodedTime: done.encodedTime,
        width: done.width,
        height: done.height,
        codec: 'jpeg',
        ...(done.metrics && { metrics: done.metrics }),
      };
      const msg = encodeFrameMessage(meta, done.jpeg, encodeFrameMetrics(done.metrics), Buffer.allocUnsafe) as Buffer;
      this.latest = { meta, message: msg, payload: msg.subarray(msg.byteLength - done.jpeg.byteLength) };
      this.produced++;
      this.rate.mark();
      for (const wake of this.waiters) wake();
      this.o.publish(this.latest);
    } catch (cause) {
      this.o.error(new FrameStreamError('ERR_ENCODE_FAILED', `Framing an encoded frame failed: ${message(cause)}`, { cause }));
    }
  }
}
