import type { FrameStreamHub } from './hub.js';

/**
 * Decides which node runs a stream's scheduled source (a built-in pattern,
 * an iterable): every node has one configured, but frames must be made
 * once. The node holding the hub's lease produces; it renews the lease
 * every `renewMs`, and when it dies the lease lapses after `ttlMs` and
 * another node takes it. While the hub is away no node can know who holds
 * it, so every node that wants frames makes its own.
 */
export class Election {
  private wanted = false;
  private held = false;
  private timer: NodeJS.Timeout | undefined;
  private asking = false;
  private closed = false;
  private readonly key: string;

  constructor(
    private readonly hub: FrameStreamHub,
    name: string,
    private readonly renewMs: number,
    private readonly ttlMs: number,
    /** Called when {@link mayProduce} changes. */
    private readonly changed: () => void,
  ) {
    this.key = `${name}:producer`;
  }

  /** Whether this node should run its source now. */
  get mayProduce(): boolean {
    return this.wanted && (this.held || !this.hub.connected);
  }

  /** Whether this node holds the lease. */
  get leader(): boolean {
    return this.held;
  }

  /** Asks for the lease (and keeps renewing it) while `want` is true; gives it up otherwise. */
  want(want: boolean): void {
    if (this.closed || want === this.wanted) return;
    this.wanted = want;
    if (want) {
      this.timer = setInterval(() => void this.ask(), this.renewMs);
      this.timer.unref();
      void this.ask();
    } else {
      clearInterval(this.timer);
      this.timer = undefined;
      if (this.held) this.hub.release(this.key);
      this.set(false);
    }
  }

  /** The hub came back or went away: who may produce changes at once. */
  hubChanged(): void {
    if (this.hub.connected && this.wanted) void this.ask();
    else if (!this.hub.connected) this.set(false);
  }

  close(): void {
    this.want(false);
    this.closed = true;
  }

  private async ask(): Promise<void> {
    if (this.asking || !this.wanted || this.closed) return;
    this.asking = true;
    try {
      const held = await this.hub.lease(this.key, this.ttlMs);
      if (this.wanted && !this.closed) this.set(held);
      else if (held) this.hub.release(this.key);
    } finally {
      this.asking = false;
    }
  }

  private set(held: boolean): void {
    const before = this.mayProduce;
    this.held = held;
    if (this.mayProduce !== before) this.changed();
  }
}
