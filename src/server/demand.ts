import type { FrameChannel } from './channel/channel.js';
import type { ClusterLink } from './cluster/link.js';
import type { Ingest } from './ingest/index.js';
import type { Producer } from './producer.js';
import type { Audience } from './viewers/audience.js';
import type { Housekeeping } from './viewers/housekeeping.js';

export interface DemandParts {
  audience: Audience;
  channel: FrameChannel;
  producer: Producer;
  housekeeping: Housekeeping;
  link: ClusterLink | undefined;
  ingest: Ingest | undefined;
  /** Sessions make their own frames: the stream's producer never runs. */
  interactive: boolean;
  alwaysOn: boolean;
  closing: () => boolean;
  /** Someone started watching anywhere, or the last one stopped. */
  watchingChanged: (watching: boolean) => void;
}

/**
 * Who wants frames, and what follows from it: the audience takes frames
 * from the channel while it has viewers (so a hub sends an idle node
 * nothing), the source runs while anyone watches (with a hub, anyone on any
 * node, and only on the node elected to run it), housekeeping pings while
 * there are viewers here, and the app and the producer hear when watching
 * starts or stops.
 */
export class Demand {
  private unsubscribe: (() => void) | undefined;
  private wasWatching = false;
  private deciding = false;

  constructor(private readonly p: DemandParts) {}

  /** Someone watches: here, or with a hub on any node. */
  get watching(): boolean {
    return this.p.audience.size > 0 || (this.p.link?.watched ?? false);
  }

  /**
   * This node makes the frames: it runs the scheduled source, or the
   * ingest producer is connected here, or (pushed) it published last.
   */
  get producingHere(): boolean {
    const { ingest, producer, link } = this.p;
    if (ingest) return ingest.endpoint.connected;
    if (producer.scheduled) return producer.producing;
    return link !== undefined && link.channel.lastSender === link.nodeId && producer.produced > 0;
  }

  /** The ingest's status as viewers should see it: with a hub, a producer on another node counts as online here too. */
  get ingestStatus(): { online: boolean; offlineSince: number | null } | undefined {
    const source = this.p.ingest?.source;
    if (!source || !this.p.link || source.online || !this.p.link.producedElsewhere) return source;
    return { online: true, offlineSince: null };
  }

  /** Re-decides everything. Re-entrant: the cluster link calls back while it is told of a change. */
  update(): void {
    if (this.deciding) return;
    this.deciding = true;
    try {
      this.decide();
    } finally {
      this.deciding = false;
    }
  }

  private decide(): void {
    const { audience, channel, producer, link, ingest, housekeeping } = this.p;
    const closing = this.p.closing();
    const here = audience.size > 0 && !closing;
    if (here && !this.unsubscribe) this.unsubscribe = channel.subscribe(audience.deliver);
    else if (!here && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
    const watching = !closing && this.watching;
    let wanted = !closing && !this.p.interactive && (this.p.alwaysOn || watching);
    // Every node has the scheduled source configured; one of them runs it.
    if (link && producer.scheduled && !ingest) wanted = link.mayProduce(wanted);
    producer.setDemand(wanted);
    // The node making the frames need not hear them back from the hub. A
    // pushing node may not be the only one, so it keeps listening.
    link?.channel.setSendsOnly(ingest ? ingest.endpoint.connected : producer.scheduled && producer.producing && link.connected);
    link?.update();
    if (here) housekeeping.start();
    else housekeeping.stop();
    if (watching !== this.wasWatching) {
      this.wasWatching = watching;
      ingest?.endpoint.demand(watching);
      this.p.watchingChanged(watching);
    }
  }
}
