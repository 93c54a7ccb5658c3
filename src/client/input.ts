import { encodeInputFrame } from '../protocol/session.js';

/**
 * What `sendFrame` did with a frame:
 * - `'sent'`: it goes now (after encoding, for pixels);
 * - `'waiting'`: kept to go as soon as an acknowledgement frees a place,
 *   replacing the frame that waited before it (latest wins, never a queue);
 * - `'dropped'`: offered faster than `maxInputFps`, so left out;
 * - `false`: refused, because the client is not in an active session of
 *   its own (queued, a spectator, a broadcast stream, not connected).
 */
export type SendFrameResult = 'sent' | 'waiting' | 'dropped' | false;

/**
 * Lets through at most `fps` frames a second. Frames arrive with jitter, so
 * one due a little early still goes: a 30 fps camera under a 30 fps cap
 * sends every frame, not every other one.
 */
export class InputPacer {
  private readonly interval: number;
  private readonly slack: number;
  private last = -Infinity;

  /** @param fps the cap; `Infinity` lets every frame through */
  constructor(fps: number) {
    this.interval = fps === Infinity ? 0 : 1000 / fps;
    this.slack = Math.min(this.interval / 4, 8);
  }

  /** Whether a frame offered at `now` (monotonic ms) may go; if so, it counts. */
  due(now: number): boolean {
    if (now - this.last < this.interval - this.slack) return false;
    // Keep the long-run rate: step from the slot this frame filled, unless far behind.
    this.last = now - this.last > this.interval * 2 ? now : Math.max(now - this.slack, this.last + this.interval);
    return true;
  }
}

/** A frame on its way: its payload (or how to make it) and when it was captured. */
export interface InputItem {
  /** The JPEG bytes, at once or after encoding. */
  prepare(): Uint8Array | Promise<Uint8Array>;
  /** Lets go of what the frame holds (closes an `ImageBitmap`/`VideoFrame`) when it will not be sent. */
  release(): void;
  captureTime: number;
}

/** What {@link InputFlow} needs from the client. */
export interface InputLink {
  /** Sends one binary message; `false` when no socket could take it. */
  send(message: Uint8Array): boolean;
  /** The input frame with `seq` went out, captured at `captureTime`. */
  sent(seq: number, captureTime: number): void;
  /** Encoding (or reading a Blob) failed; the frame is dropped. */
  failed(error: unknown): void;
}

/**
 * Flow control for input frames (docs/sessions.md): at most `maxInFlight`
 * frames sent and not yet acknowledged (`inputAck` acknowledges every seq
 * up to n), one frame encoding at a time, and one slot for the next frame,
 * where a newer frame replaces an older one. A slow uplink or a slow model
 * so holds back frames at the camera instead of queueing them anywhere.
 */
export class InputFlow {
  /** Seqs sent and not yet acknowledged, oldest first. */
  private inFlight: number[] = [];
  private waiting: InputItem | null = null;
  private encoding = false;
  private lastSeq = 0;
  /** Bumped when the connection ends: an encode started before then is not sent. */
  private generation = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly link: InputLink,
  ) {}

  /** Frames sent and not acknowledged. */
  get unacknowledged(): number {
    return this.inFlight.length;
  }

  /** Takes a frame that passed the FPS cap: sends it now, or keeps it waiting in place of the one before. */
  offer(item: InputItem): 'sent' | 'waiting' {
    if (this.canStart()) {
      this.start(item);
      return 'sent';
    }
    this.waiting?.release();
    this.waiting = item;
    return 'waiting';
  }

  /** The server took every input frame up to `seq`. */
  ack(seq: number): void {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((s) => s > seq);
    if (this.inFlight.length !== before) this.pump();
  }

  /**
   * The server refused an input frame (invalid, too large, not in session).
   * It will never acknowledge that one, and its error does not say which
   * it was; acknowledgements are cumulative, so freeing the oldest place
   * keeps the count right, and a later acknowledgement clears the rest.
   */
  refused(): void {
    if (this.inFlight.shift() !== undefined) this.pump();
  }

  /** The connection ended (or the session): nothing in flight will be acknowledged; the waiting frame is dropped. */
  reset(): void {
    this.generation++;
    this.inFlight = [];
    this.encoding = false;
    this.waiting?.release();
    this.waiting = null;
  }

  private canStart(): boolean {
    return !this.encoding && this.inFlight.length < this.maxInFlight;
  }

  private pump(): void {
    if (!this.waiting || !this.canStart()) return;
    const next = this.waiting;
    this.waiting = null;
    this.start(next);
  }

  private start(item: InputItem): void {
    let prepared: Uint8Array | Promise<Uint8Array>;
    try {
      prepared = item.prepare();
    } catch (error) {
      item.release();
      return this.link.failed(error);
    }
    if (prepared instanceof Uint8Array) return this.transmit(prepared, item.captureTime);
    // Encoding takes a few ms: hold the place so frames meanwhile wait in the slot.
    this.encoding = true;
    const generation = this.generation;
    prepared.then(
      (payload) => {
        if (generation !== this.generation) return;
        this.encoding = false;
        this.transmit(payload, item.captureTime);
        this.pump();
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.encoding = false;
        this.link.failed(error);
        this.pump();
      },
    );
  }

  private transmit(payload: Uint8Array, captureTime: number): void {
    // A u32 on the wire; four billion frames wrap around to 1.
    const seq = this.lastSeq >= 0xffff_ffff ? 1 : this.lastSeq + 1;
    if (!this.link.send(encodeInputFrame({ seq, captureTime, codec: 'jpeg' }, payload))) return;
    this.lastSeq = seq;
    this.inFlight.push(seq);
    this.link.sent(seq, captureTime);
  }
}
