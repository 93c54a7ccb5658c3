import type { ClusterNode } from '../types.js';
import type { FrameStreamHub } from './hub.js';

interface Heard {
  viewers: number;
  producing: boolean;
  seen: number;
}

/**
 * Who else serves the stream: each node announces its viewer count on the
 * hub every `intervalMs` (and at once when it goes from none to some, so
 * demand spreads fast); a node not heard from in three intervals is gone.
 * Nothing is stored in the hub, so a node that dies leaves nothing behind.
 */
export class Presence {
  private readonly others = new Map<string, Heard>();
  private readonly topic: string;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private local = { viewers: 0, producing: false };
  private readonly state: () => { viewers: number; producing: boolean };
  private wasWatched = false;
  private producers = '';

  constructor(
    private readonly hub: FrameStreamHub,
    name: string,
    /** This node now. */
    state: () => { viewers: number; producing: boolean },
    private readonly intervalMs: number,
    /** Called when the cluster goes from nobody watching to somebody, or back, or another node starts or stops making frames. */
    private readonly changed: () => void,
    /** Called when a node leaves (said so, or was not heard from). */
    private readonly left: (node: string) => void = () => {},
  ) {
    this.state = state;
    this.topic = `${name}:presence`;
    this.unsubscribe = hub.subscribe(this.topic, this.hear);
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  /** Viewers on every node, this one's counted now and the others' as last heard. */
  get viewers(): number {
    let total = this.local.viewers;
    for (const heard of this.others.values()) total += heard.viewers;
    return total;
  }

  nodes(): ClusterNode[] {
    const list: ClusterNode[] = [{ node: this.hub.nodeId, ...this.local, self: true }];
    for (const [node, heard] of this.others) list.push({ node, viewers: heard.viewers, producing: heard.producing, self: false });
    return list;
  }

  /** Whether another node says it makes the stream's frames. */
  get producedElsewhere(): boolean {
    return this.producerNode !== undefined;
  }

  /** Another node that says it makes the stream's frames (has its producer), if any. */
  get producerNode(): string | undefined {
    for (const [node, heard] of this.others) if (heard.producing) return node;
    return undefined;
  }

  /** Re-reads this node's state; tells the others at once when it starts or stops mattering. */
  update(): void {
    const before = this.local;
    this.local = this.state();
    if ((before.viewers > 0) !== (this.local.viewers > 0) || before.producing !== this.local.producing) this.announce();
    this.checkWatched();
  }

  close(): void {
    clearInterval(this.timer);
    // Tell the others now rather than make them wait three intervals.
    this.hub.publish(this.topic, Buffer.from(JSON.stringify({ node: this.hub.nodeId, gone: true })));
    this.unsubscribe();
    this.others.clear();
  }

  private tick(): void {
    const expiry = performance.now() - 3 * this.intervalMs;
    for (const [node, heard] of this.others) {
      if (heard.seen >= expiry) continue;
      this.others.delete(node);
      this.left(node);
    }
    this.local = this.state();
    this.announce();
    this.checkWatched();
  }

  private announce(): void {
    this.hub.publish(this.topic, Buffer.from(JSON.stringify({ node: this.hub.nodeId, ...this.local })));
  }

  private hear = (bytes: Buffer): void => {
    let said: { node?: unknown; viewers?: unknown; producing?: unknown; gone?: unknown };
    try {
      said = JSON.parse(bytes.toString('utf8')) as typeof said;
    } catch {
      return; // not ours; presence is advisory, so nothing to report
    }
    if (typeof said?.node !== 'string' || said.node === this.hub.nodeId) return;
    if (said.gone === true) {
      if (this.others.delete(said.node)) this.left(said.node);
    }
    else {
      const viewers = typeof said.viewers === 'number' && Number.isFinite(said.viewers) && said.viewers >= 0 ? said.viewers : 0;
      const known = this.others.has(said.node);
      this.others.set(said.node, { viewers, producing: said.producing === true, seen: performance.now() });
      // A newcomer learns of this node at once instead of at the next tick.
      if (!known) this.announce();
    }
    this.checkWatched();
  };

  private checkWatched(): void {
    const watched = this.viewers > 0;
    const producers = [...this.others].filter(([, heard]) => heard.producing).map(([node]) => node).join();
    if (watched === this.wasWatched && producers === this.producers) return;
    this.wasWatched = watched;
    this.producers = producers;
    this.changed();
  }
}
