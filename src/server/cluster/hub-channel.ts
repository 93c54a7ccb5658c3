import type { EncodedFrame, FrameChannel, FrameSubscriber } from '../channel/channel.js';
import { unwrapFrame, wrapFrame } from './envelope.js';
import type { FrameStreamHub } from './hub.js';

// Sequence numbers are u32 and wrap; a step back by more than this is a wrap, not an old frame.
const HALF_SEQ = 0x8000_0000;
// The stored last frame only serves idle nodes' snapshots and newcomers:
// written at most this often (the newest frame last), not once per frame.
const STORE_EVERY_MS = 250;

export interface HubChannelOptions {
  hub: FrameStreamHub;
  /** Topic and key names start with this (the stream's path). */
  name: string;
  /** A message on the frames topic that is not a frame. */
  malformed: (err: unknown) => void;
}

/**
 * A {@link FrameChannel} across processes: a frame published here goes to
 * this process's subscribers at once and, once, to the hub as binary; frames
 * other nodes publish arrive from the hub. The hub topic is subscribed only
 * while this process has subscribers (viewers), so a node nobody watches
 * through is sent nothing. Frames from one sender never go backwards.
 */
export class HubChannel implements FrameChannel {
  latest: EncodedFrame | undefined;
  /** The node whose frame arrived last (this one's own id for local frames). */
  lastSender: string | undefined;
  lastSenderAt = 0;
  /** Relayed frames dropped for arriving after a newer one from the same origin. */
  outOfOrder = 0;
  private readonly subscribers = new Set<FrameSubscriber>();
  private readonly topic: string;
  private readonly latestKey: string;
  private unsubscribeHub: (() => void) | undefined;
  private lastSeq = 0;
  private closed = false;
  private sendsOnly = false;
  private storedAt = -Infinity;
  private storeTimer: NodeJS.Timeout | undefined;
  private unstored: Buffer | undefined;

  constructor(private readonly o: HubChannelOptions) {
    this.topic = `${o.name}:frames`;
    this.latestKey = `${o.name}:latest`;
  }

  publish(frame: EncodedFrame): void {
    if (this.closed) return;
    this.accept(this.o.hub.nodeId, frame);
    if (!this.o.hub.connected) return; // dropped, never queued: the hub is away
    const bytes = wrapFrame(this.o.hub.nodeId, frame);
    this.o.hub.publish(this.topic, bytes);
    this.store(bytes);
  }

  /**
   * This node makes the stream's frames (it runs the elected source, or the
   * producer is connected here): nothing on the hub is for it, so it stops
   * receiving its own frames back. Undone when it stops making them.
   */
  setSendsOnly(sendsOnly: boolean): void {
    this.sendsOnly = sendsOnly;
    this.syncHub();
  }

  subscribe(subscriber: FrameSubscriber): () => void {
    if (this.closed) return () => {};
    this.subscribers.add(subscriber);
    this.syncHub();
    return () => {
      if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
      this.syncHub();
      // Nothing arrives from now on: a kept frame would only grow stale.
      if (this.lastSender !== this.o.hub.nodeId) this.latest = undefined;
    };
  }

  /** The last frame published anywhere in the cluster, from the hub's store. */
  async fetchLatest(): Promise<EncodedFrame | undefined> {
    const bytes = await this.o.hub.get(this.latestKey);
    if (!bytes) return undefined;
    try {
      return unwrapFrame(bytes).frame;
    } catch (err) {
      this.o.malformed(err);
      return undefined;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.storeTimer);
    this.unsubscribeHub?.();
    this.unsubscribeHub = undefined;
    this.subscribers.clear();
    this.latest = undefined;
  }

  // On the hub's frames topic while this node has subscribers and others make the frames.
  private syncHub(): void {
    const wanted = this.subscribers.size > 0 && !this.sendsOnly && !this.closed;
    if (wanted) this.unsubscribeHub ??= this.o.hub.subscribe(this.topic, this.receive);
    else if (this.unsubscribeHub) {
      this.unsubscribeHub();
      this.unsubscribeHub = undefined;
    }
  }

  // For the snapshot route and first viewers of nodes that receive nothing.
  private store(bytes: Buffer): void {
    const wait = this.storedAt + STORE_EVERY_MS - performance.now();
    if (wait <= 0 && !this.storeTimer) {
      this.storedAt = performance.now();
      this.o.hub.set(this.latestKey, bytes);
      return;
    }
    this.unstored = bytes;
    this.storeTimer ??= setTimeout(() => {
      this.storeTimer = undefined;
      const newest = this.unstored;
      this.unstored = undefined;
      if (newest && !this.closed) this.store(newest);
    }, Math.max(0, wait));
  }

  private receive = (bytes: Buffer): void => {
    if (this.closed) return;
    let relayed;
    try {
      relayed = unwrapFrame(bytes);
    } catch (err) {
      return this.o.malformed(err);
    }
    if (relayed.node === this.o.hub.nodeId) return; // delivered here when published
    this.accept(relayed.node, relayed.frame);
  };

  private accept(sender: string, frame: EncodedFrame): void {
    const seq = frame.meta.seq;
    // Each node numbers its own frames, so order is judged per sender.
    if (sender === this.lastSender && seq <= this.lastSeq && this.lastSeq - seq < HALF_SEQ) {
      this.outOfOrder++;
      return;
    }
    this.lastSeq = seq;
    this.lastSender = sender;
    this.lastSenderAt = performance.now();
    this.latest = frame;
    for (const deliver of this.subscribers) deliver(frame);
  }
}
