import type { InputFrame } from '../types.js';

/**
 * A session's upstream frames, **latest wins**: one waiting slot, and a
 * newer frame replaces the one waiting. A model slower than the camera only
 * ever sees the newest input, never a backlog. Taking a frame acknowledges
 * it (and every older one) to the viewer, which paces its uplink.
 */
export class InputSlot {
  /** The last frame the model took, and when: what its next output answers. */
  lastTaken: { seq: number; at: number } | undefined;
  private waiting: InputFrame | undefined;
  private readonly waiters: ((result: IteratorResult<InputFrame>) => void)[] = [];
  private ended = false;

  constructor(private readonly ack: (seq: number) => void) {}

  /** The newest frame not yet taken, without taking it. */
  peek(): InputFrame | undefined {
    return this.waiting;
  }

  offer(frame: InputFrame): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter) return waiter({ done: false, value: this.take(frame) });
    this.waiting = frame; // replaces an older one, which a later ack covers
  }

  /** Takes the newest frame not yet taken, without waiting (a producer-served session's pump). */
  shift(): InputFrame | undefined {
    const frame = this.waiting;
    if (!frame) return undefined;
    this.waiting = undefined;
    return this.take(frame);
  }

  /** Ends every `frames()` iteration. */
  end(): void {
    this.ended = true;
    this.waiting = undefined;
    for (const waiter of this.waiters.splice(0)) waiter({ done: true, value: undefined });
  }

  frames(): AsyncIterableIterator<InputFrame> {
    const next = (): Promise<IteratorResult<InputFrame>> => {
      if (this.waiting) {
        const frame = this.waiting;
        this.waiting = undefined;
        return Promise.resolve({ done: false, value: this.take(frame) });
      }
      if (this.ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => this.waiters.push(resolve));
    };
    const iterator: AsyncIterableIterator<InputFrame> = {
      next,
      return: () => Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private take(frame: InputFrame): InputFrame {
    this.lastTaken = { seq: frame.seq, at: performance.now() };
    this.ack(frame.seq);
    return frame;
  }
}
