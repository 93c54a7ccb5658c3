import {
  encodeFrameMessage,
  encodeFrameMetrics,
  FrameStreamError,
  wallClockMs,
  type FrameMeta,
  type FrameMetrics,
} from '../protocol/index.js';
import { encodeJpeg } from './builtin.js';
import type { ValidFrame } from './frames.js';
import { RateMeter, SampleWindow } from './window.js';

/** One produced frame: built once, the same bytes go to every viewer. */
export interface EncodedFrame {
  meta: FrameMeta;
  /** The whole `framestream.v1` message (header, metrics, JPEG). */
  message: Buffer;
  /** The JPEG alone: a view into `message`, which is what bare viewers get. */
  payload: Buffer;
}

export interface PipelineOptions {
  quality: number;
  publish: (frame: EncodedFrame) => void;
  error: (err: FrameStreamError) => void;
}

/** An encoded frame waiting for its turn to be published. */
interface Finished {
  jpeg: Uint8Array;
  metrics: FrameMetrics | undefined;
  width: number;
  height: number;
  captureTime: number;
  encodedTime: number;
}

interface Waiting {
  frame: ValidFrame;
  metrics: FrameMetrics | undefined;
  captureTime: number;
}

// Two frames in the encoder at once overlap producing frame n+1 with sending
// frame n; more would only queue work the stream then has to drop.
export const MAX_IN_FLIGHT = 2;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Encodes frames (sharp, off the event loop), frames each one once into a
 * `framestream.v1` message and publishes them strictly in capture order.
 */
export class EncodePipeline {
  latest: EncodedFrame | undefined;
  produced = 0;
  /** Frames replaced by a newer one before they reached the encoder. */
  replaced = 0;
  readonly encodeMs = new SampleWindow();
  readonly inferenceMs = new SampleWindow();
  readonly rate = new RateMeter();

  private inFlight = 0;
  private ticket = 0;
  private lastTicket = 0;
  private seq = 0;
  private closed = false;
  private waiting: Waiting | undefined;
  private readonly finished = new Map<number, Finished | undefined>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly o: PipelineOptions) {}

  /** True while the encoder already holds as many frames as is useful. */
  get busy(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT;
  }

  /** Encodes and publishes a frame; callers check {@link busy} first. */
  submit(frame: ValidFrame, metrics: FrameMetrics | undefined, captureTime: number): void {
    if (!this.closed) void this.encode(frame, metrics, captureTime);
  }

  /**
   * Like {@link submit}, but when the encoder is busy the frame waits in a
   * single slot, replacing any frame already there: an app pushing faster
   * than the encoder keeps up loses old frames, never builds a queue.
   */
  submitLatest(frame: ValidFrame, metrics: FrameMetrics | undefined, captureTime: number): void {
    if (frame.kind === 'raw' && this.busy) {
      if (this.waiting) this.replaced++;
      this.waiting = { frame, metrics, captureTime };
      return;
    }
    this.submit(frame, metrics, captureTime);
  }

  /** Resolves at the next published frame, or after `timeoutMs`. */
  nextFrame(timeoutMs: number): Promise<void> {
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

  close(): void {
    this.closed = true;
    this.waiting = undefined;
    for (const wake of this.waiters) wake();
  }

  // Two frames can be in the encoder at once and finish out of order. Each
  // takes a ticket at capture and is published strictly in ticket order, so
  // viewers see frames in order and none is thrown away for finishing late.
  private async encode(frame: ValidFrame, metrics: FrameMetrics | undefined, captureTime: number): Promise<void> {
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
      const waiting = this.waiting;
      if (waiting && !this.busy && !this.closed) {
        this.waiting = undefined;
        this.submit(waiting.frame, waiting.metrics, waiting.captureTime);
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
      // Buffer.allocUnsafe: ws sends a Buffer as is, so every viewer's socket
      // references this one allocation instead of a copy each.
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
