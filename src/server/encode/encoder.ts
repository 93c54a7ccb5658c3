import { FrameStreamError, wallClockMs, type FrameMetrics } from '../../protocol/index.js';
import type { ValidFrame } from '../sources/frames.js';
import type { EncodedImage } from './framing.js';
import { encodeJpeg } from './jpeg.js';
import { SampleWindow } from './window.js';

/** A frame handed to the encoder, with when it was captured. */
export interface EncoderInput {
  frame: ValidFrame;
  metrics: FrameMetrics | undefined;
  captureTime: number;
  /**
   * Called once when the encoder is done with this frame: published,
   * replaced in the waiting slot, failed, or dropped at close. A remote
   * producer's credit comes back through it.
   */
  done?: () => void;
}

export interface EncoderOptions {
  quality: number;
  /** Receives each finished image, strictly in the order the frames came in. */
  output: (image: EncodedImage) => void;
  error: (err: FrameStreamError) => void;
}

// Two frames in the encoder at once overlap producing frame n+1 with sending
// frame n; more would only queue work the stream then has to drop.
export const MAX_IN_FLIGHT = 2;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Turns validated frames into JPEGs: raw pixels are encoded with sharp (off
 * the event loop), JPEGs pass through untouched. At most
 * {@link MAX_IN_FLIGHT} frames are in the encoder; past that, one frame of
 * any kind waits in a single slot and a newer one replaces it, so a caller
 * faster than the encoder loses old frames and never builds a queue.
 */
export class FrameEncoder {
  /** Frames replaced in the waiting slot by a newer one before they were encoded. */
  replaced = 0;
  readonly encodeMs = new SampleWindow();

  private inFlight = 0;
  private ticket = 0;
  private lastTicket = 0;
  private closed = false;
  private waiting: EncoderInput | undefined;
  // At most MAX_IN_FLIGHT entries: finished images wait here for the ones
  // ahead of them, so the map is bounded by construction.
  private readonly finished = new Map<number, EncodedImage | undefined>();

  constructor(private readonly o: EncoderOptions) {}

  /** True while the encoder already holds as many frames as is useful. */
  get busy(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT;
  }

  /** Encodes the frame, or parks it in the waiting slot (replacing any there) while {@link busy}. */
  submit(input: EncoderInput): void {
    if (this.closed) return void input.done?.();
    if (this.busy) {
      if (this.waiting) {
        this.replaced++;
        this.waiting.done?.();
      }
      this.waiting = input;
      return;
    }
    void this.encode(input);
  }

  close(): void {
    this.closed = true;
    this.waiting?.done?.();
    this.waiting = undefined;
  }

  // Two frames can be in the encoder at once and finish out of order. Each
  // takes a ticket when it enters and comes out strictly in ticket order, so
  // viewers see frames in order and none is thrown away for finishing late.
  private async encode({ frame, metrics, captureTime, done: release }: EncoderInput): Promise<void> {
    const ticket = ++this.ticket;
    this.inFlight++;
    let done: EncodedImage | undefined;
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
      release?.();
      const waiting = this.waiting;
      if (waiting && !this.busy && !this.closed) {
        this.waiting = undefined;
        void this.encode(waiting);
      }
    }
  }

  private flush(): void {
    while (this.finished.has(this.lastTicket + 1)) {
      const done = this.finished.get(++this.lastTicket);
      this.finished.delete(this.lastTicket);
      if (!done || this.closed) continue;
      try {
        this.o.output(done);
      } catch (cause) {
        // Never let it unwind into the encode promise, which nobody awaits.
        this.o.error(new FrameStreamError('ERR_ENCODE_FAILED', `Publishing an encoded frame failed: ${message(cause)}`, { cause }));
      }
    }
  }
}
