/**
 * What a stream needs from the messaging system that joins several
 * framestream processes (a "hub"): topics to publish on and subscribe to, a
 * small key-value store, and leases. `framestream/redis` implements it on
 * Redis; the stream never talks to Redis itself, so another engine (NATS,
 * Redis Cluster's sharded pub/sub) is one more implementation of this.
 *
 * Every method is best effort and none may throw: while the hub is down a
 * publish is dropped (never queued: a frame is worth nothing late), a read
 * resolves `undefined`, a lease is not granted.
 */
export interface FrameStreamHub {
  /** This process's name in the cluster, unique per hub instance. */
  readonly nodeId: string;
  /** Whether the hub is connected now. */
  readonly connected: boolean;
  /** Publishes one message; `false` when it was dropped (hub down). */
  publish(topic: string, message: Buffer): boolean;
  /**
   * Delivers every message published on `topic` (by any node, this one
   * included) until the returned function is called. Subscriptions survive
   * the hub's reconnects.
   */
  subscribe(topic: string, onMessage: (message: Buffer) => void): () => void;
  /** Stores `value` under `key` (replacing it). Dropped while down. */
  set(key: string, value: Buffer): void;
  /** The value under `key`, or `undefined` (none, or the hub is down). */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Takes `key` for this node for `ttlMs`, or renews it if this node holds
   * it. Resolves whether this node holds it now.
   */
  lease(key: string, ttlMs: number): Promise<boolean>;
  /** Gives `key` up if this node holds it. */
  release(key: string): void;
  /**
   * Calls `listener` when the hub goes down (with the reason) or comes
   * back (`undefined`); once per change, never once per retry.
   */
  onStatus(listener: (down: Error | undefined) => void): () => void;
  /** Disconnects; the hub cannot be used again. Safe to call twice. */
  close(): Promise<void>;
}

/** Duck-typing check for the `hub` option. */
export function isFrameStreamHub(value: unknown): value is FrameStreamHub {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  return (
    typeof h.nodeId === 'string' &&
    ['publish', 'subscribe', 'set', 'get', 'lease', 'release', 'onStatus', 'close'].every((m) => typeof h[m] === 'function')
  );
}
