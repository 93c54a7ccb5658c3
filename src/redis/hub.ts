import { randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES, type RedisClientOptions } from 'redis';
import type { FrameStreamHub } from '../server/cluster/hub.js';

type Client = ReturnType<typeof createClient>;

// Takes the key, or renews it when this node already holds it. Atomic, so
// two nodes asking at once cannot both be told yes.
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface RedisHubOptions {
  /**
   * Where Redis is, e.g. `redis://10.0.0.5:6379` or `rediss://user:pass@host`.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * Put before every channel and key this hub uses, so several deployments
   * can share one Redis.
   * @default 'framestream'
   */
  prefix?: string;
  /**
   * The longest wait between reconnect attempts while Redis is away (they
   * start at 50 ms and double).
   * @default 2000
   */
  maxReconnectDelayMs?: number;
  /**
   * Bytes that may be on their way to Redis at once (frames published and
   * stored, not yet acknowledged). Past it a new message is dropped, never
   * queued: a slow Redis costs frames, not memory.
   * @default 8388608 (8 MiB)
   */
  maxPendingBytes?: number;
  /** Anything else for node-redis's `createClient` (TLS, auth, database). */
  clientOptions?: Omit<RedisClientOptions, 'url' | 'disableOfflineQueue'>;
}

/**
 * A {@link FrameStreamHub} on Redis pub/sub, through node-redis: one
 * connection publishes and runs commands, another subscribes (a subscribed
 * Redis connection can do nothing else).
 */
export class RedisHub implements FrameStreamHub {
  readonly nodeId = randomBytes(6).toString('hex');
  /** Messages not sent because too many bytes were already on their way to Redis. */
  dropped = 0;
  private readonly commands: Client;
  private readonly subscriber: Client;
  private readonly buffers: Client;
  private readonly prefix: string;
  private readonly handlers = new Map<string, Set<(message: Buffer) => void>>();
  private readonly statusListeners = new Set<(down: Error | undefined) => void>();
  private down: Error | undefined = new Error('Not connected to Redis yet');
  private reported = false;
  private closed = false;
  /** Bytes handed to node-redis and not yet acknowledged by Redis. */
  private pendingBytes = 0;
  private readonly maxPendingBytes: number;

  constructor(o: RedisHubOptions = {}) {
    const url = o.url ?? 'redis://127.0.0.1:6379';
    this.prefix = `${o.prefix ?? 'framestream'}:`;
    const maxDelay = o.maxReconnectDelayMs ?? 2000;
    this.maxPendingBytes = o.maxPendingBytes ?? 8 * 1024 * 1024;
    const base: RedisClientOptions = {
      ...o.clientOptions,
      url,
      socket: {
        connectTimeout: 2000,
        ...o.clientOptions?.socket,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxDelay),
      } as RedisClientOptions['socket'],
    };
    // Commands fail at once while Redis is away instead of waiting in a
    // queue: a frame published late is worse than one not published.
    this.commands = createClient({ ...base, disableOfflineQueue: true });
    // Subscriptions may wait: they are replayed on every reconnect anyway.
    this.subscriber = createClient(base);
    this.buffers = this.commands.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as Client;
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (err: Error) => this.setDown(err));
      client.on('ready', () => this.checkUp());
      client.on('reconnecting', () => this.setDown(new Error('Redis connection lost; reconnecting')));
      // node-redis retries the first connection itself; this promise settles
      // when it succeeds, or rejects only when the hub is closed meanwhile.
      client.connect().catch(() => {});
    }
  }

  get connected(): boolean {
    return this.down === undefined;
  }

  publish(topic: string, message: Buffer): boolean {
    if (!this.admit(message)) return false;
    this.track(message, this.commands.publish(this.prefix + topic, message));
    return true;
  }

  subscribe(topic: string, onMessage: (message: Buffer) => void): () => void {
    if (this.closed) return () => {};
    const channel = this.prefix + topic;
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const handlers = set;
      this.subscriber
        .subscribe(channel, (message: Buffer) => {
          for (const handle of handlers) handle(message);
        }, true)
        .catch((err: Error) => this.setDown(err));
    }
    set.add(onMessage);
    return () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(onMessage) || current.size > 0) return;
      this.handlers.delete(channel);
      if (!this.closed) this.subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  set(key: string, value: Buffer): void {
    if (!this.admit(value)) return;
    this.track(value, this.commands.set(this.prefix + key, value));
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (this.down || this.closed) return undefined;
    try {
      const value = (await this.buffers.get(this.prefix + key)) as unknown;
      return Buffer.isBuffer(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async lease(key: string, ttlMs: number): Promise<boolean> {
    if (this.down || this.closed) return false;
    try {
      const held = await this.commands.eval(LEASE, { keys: [this.prefix + key], arguments: [this.nodeId, String(Math.round(ttlMs))] });
      return held === 1;
    } catch {
      return false;
    }
  }

  release(key: string): void {
    if (this.down || this.closed) return;
    this.commands.eval(RELEASE, { keys: [this.prefix + key], arguments: [this.nodeId] }).catch(() => {});
  }

  onStatus(listener: (down: Error | undefined) => void): () => void {
    this.statusListeners.add(listener);
    return () => void this.statusListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.statusListeners.clear();
    await Promise.allSettled(
      [this.commands, this.subscriber].map(async (client) => {
        // A client still trying to reach Redis is stopped, not waited for:
        // its close() would wait for a connection that may never come.
        if (!client.isReady) return client.isOpen && client.destroy();
        await client.close();
      }),
    );
  }

  // Redis (or the network to it) slower than the frames: what is already on
  // its way stands, and newer messages are dropped rather than queued, so a
  // node's memory stays bounded whatever the rate.
  private admit(message: Buffer): boolean {
    if (this.down || this.closed) return false;
    if (this.pendingBytes > 0 && this.pendingBytes + message.byteLength > this.maxPendingBytes) {
      this.dropped++;
      return false;
    }
    return true;
  }

  private track(message: Buffer, sent: Promise<unknown>): void {
    this.pendingBytes += message.byteLength;
    sent.then(
      () => (this.pendingBytes -= message.byteLength),
      (err: Error) => {
        this.pendingBytes -= message.byteLength;
        this.setDown(err);
      },
    );
  }

  private setDown(err: Error): void {
    if (this.closed) return;
    const wasUp = this.down === undefined;
    this.down = err;
    // The first failure of an outage is news; the retries after it are not.
    if (wasUp || !this.reported) {
      this.reported = true;
      this.notify(err);
    }
  }

  private checkUp(): void {
    if (this.closed || !this.commands.isReady || !this.subscriber.isReady) return;
    if (this.down === undefined) return;
    this.down = undefined;
    this.reported = false;
    this.notify(undefined);
  }

  private notify(down: Error | undefined): void {
    for (const listener of this.statusListeners) {
      try {
        listener(down);
      } catch {
        // A listener's failure is the stream's to report; the hub goes on.
      }
    }
  }
}
