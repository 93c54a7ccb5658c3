import type { EncodedFrame } from '../encode/framing.js';

export type { EncodedFrame } from '../encode/framing.js';

/** Receives each frame published on a channel. Must not throw. */
export type FrameSubscriber = (frame: EncodedFrame) => void;

/**
 * Where a stream's encoded frames meet its viewers: the producer publishes
 * each frame once, every subscriber (the stream's fan-out to its sockets)
 * receives it, and the latest one is kept for newcomers and snapshots.
 *
 * The in-process {@link MemoryChannel} is the default. A hub that joins
 * several processes implements the same interface, so the stream never
 * knows which it has: frames published in one process reach subscribers in
 * another, with the `seq` and timestamps their origin stamped
 * ({@link EncodedFrame.origin}).
 */
export interface FrameChannel {
  /** Hands the frame to every subscriber and keeps it as {@link latest}. */
  publish(frame: EncodedFrame): void;
  /** The newest frame published or received, if any. */
  readonly latest: EncodedFrame | undefined;
  /**
   * Delivers every frame published from now on. A channel may use the first
   * subscriber to start receiving (and the last unsubscribe to stop), so a
   * process with no viewers of a stream is not sent its frames.
   */
  subscribe(subscriber: FrameSubscriber): () => void;
  /** Stops delivering and releases what the channel holds. Safe to call twice. */
  close(): void;
}

/** The default {@link FrameChannel}: subscribers in this process, called synchronously. */
export class MemoryChannel implements FrameChannel {
  latest: EncodedFrame | undefined;
  private readonly subscribers = new Set<FrameSubscriber>();
  private closed = false;

  publish(frame: EncodedFrame): void {
    if (this.closed) return;
    this.latest = frame;
    for (const deliver of this.subscribers) deliver(frame);
  }

  subscribe(subscriber: FrameSubscriber): () => void {
    if (this.closed) return () => {};
    this.subscribers.add(subscriber);
    return () => void this.subscribers.delete(subscriber);
  }

  close(): void {
    this.closed = true;
    this.subscribers.clear();
    this.latest = undefined;
  }
}
