import { FrameStreamError } from '../../protocol/index.js';
import type { ClusterStats, Session, ViewerHandle, ViewerInfo } from '../types.js';
import { Election } from './election.js';
import type { FrameStreamHub } from './hub.js';
import { HubChannel } from './hub-channel.js';
import { Presence } from './presence.js';
import { SessionRelay } from './session-relay.js';
import type { ServedSessions } from '../sessions/served.js';
import { remoteViewer, type Envelope } from './remote-viewer.js';

const PRESENCE_MS = 1000;
const LEASE_RENEW_MS = 1000;
const LEASE_TTL_MS = 3000;
// A node that sent no frame for this long is no longer taken to be the one producing.
const PRODUCER_FRESH_MS = 5000;

export interface ClusterLinkOptions {
  hub: FrameStreamHub;
  /** The stream's name on the hub (its path). */
  name: string;
  /** This node's viewers, and whether it makes the stream's frames now. */
  local: () => { viewers: number; producing: boolean };
  /** The cluster-wide demand or who may produce changed: re-decide. */
  changed: () => void;
  /** A viewer's control message routed here from another node. */
  control: (data: unknown, viewer: ViewerHandle) => void;
  /** A broadcast from another node, already serialised. */
  broadcast: (text: string) => void;
  /** A local viewer by id, for replies other nodes send it. */
  viewer: (id: number) => ViewerHandle | undefined;
  reportError: (err: FrameStreamError) => void;
  /** A stream whose sessions producers serve: they are served across nodes too. */
  served?: ServedSessions;
  /** What a producer learns of a session's viewer (`ingest.sessionInfo`). */
  sessionInfo?: (session: Session) => unknown;
}

/**
 * A stream's membership of a cluster: its frames travel on a
 * {@link HubChannel}, its nodes announce themselves ({@link Presence}), one
 * of them runs a scheduled source ({@link Election}), broadcasts reach every
 * node, and a viewer's control message goes to the node producing frames.
 */
export class ClusterLink {
  readonly channel: HubChannel;
  private readonly presence: Presence;
  private readonly election: Election;
  private readonly stopStatus: () => void;
  private readonly stopControl: () => void;
  private readonly stopDirect: () => void;
  private readonly relay: SessionRelay | undefined;
  private malformedReported = false;

  constructor(private readonly o: ClusterLinkOptions) {
    const { hub, name } = o;
    this.channel = new HubChannel({ hub, name, malformed: (err) => this.malformed(err) });
    this.presence = new Presence(hub, name, o.local, PRESENCE_MS, o.changed, (node) => this.relay?.nodeGone(node));
    this.relay = o.served && new SessionRelay(hub, name, o.served, o.sessionInfo, (node, value) => this.publishJson(this.directTopic(node), value));
    this.election = new Election(hub, name, LEASE_RENEW_MS, LEASE_TTL_MS, o.changed);
    this.stopControl = hub.subscribe(`${name}:control`, this.hearBroadcast);
    this.stopDirect = hub.subscribe(this.directTopic(hub.nodeId), this.hearDirect);
    this.stopStatus = hub.onStatus((down) => {
      if (down) {
        o.reportError(
          new FrameStreamError('ERR_HUB_UNAVAILABLE', `The hub is unreachable (${down.message}); serving this node's own frames until it is back`, {
            cause: down,
          }),
        );
      }
      this.election.hubChanged();
      o.changed();
    });
  }

  get connected(): boolean {
    return this.o.hub.connected;
  }

  get nodeId(): string {
    return this.o.hub.nodeId;
  }

  /** Whether another node makes the stream's frames now (runs the source, or has the producer). */
  get producedElsewhere(): boolean {
    return this.presence.producedElsewhere;
  }

  /** Whether anyone on any node is watching. */
  get watched(): boolean {
    return this.presence.viewers > 0;
  }

  /** Whether this node may run its scheduled source (see {@link Election}). */
  mayProduce(want: boolean): boolean {
    this.election.want(want);
    return this.election.mayProduce;
  }

  /** This node's state changed: the others hear of it when it matters to them. */
  update(): void {
    this.presence.update();
    this.relay?.sync(this.connected ? this.presence.producerNode : undefined);
  }

  /** Sends one serialised message to the viewers of every other node (this node's are the caller's). */
  broadcast(text: string): void {
    this.publishJson(`${this.o.name}:control`, { from: this.o.hub.nodeId, text });
  }

  /**
   * Sends a viewer's control message to the node whose frames the stream is
   * showing. Returns `false` when that is this node (or none is known, or the
   * hub is away): the caller handles it here.
   */
  forwardControl(data: unknown, viewer: ViewerHandle): boolean {
    const channel = this.channel;
    const producer = channel.lastSender;
    if (!this.connected || !producer || producer === this.o.hub.nodeId) return false;
    if (performance.now() - channel.lastSenderAt > PRODUCER_FRESH_MS) return false;
    return this.publishJson(this.directTopic(producer), {
      kind: 'control',
      from: this.o.hub.nodeId,
      viewer: viewer.toJSON(),
      identity: jsonSafe(viewer.identity),
      data,
    } satisfies Envelope);
  }

  stats(): ClusterStats {
    return {
      node: this.o.hub.nodeId,
      connected: this.connected,
      viewers: this.presence.viewers,
      nodes: this.presence.nodes(),
      outOfOrder: this.channel.outOfOrder,
    };
  }

  close(): void {
    this.stopStatus();
    this.election.close();
    this.presence.close();
    this.stopControl();
    this.stopDirect();
    this.relay?.close();
    this.channel.close();
  }

  private directTopic(node: string): string {
    return `${this.o.name}:to:${node}`;
  }

  private publishJson(topic: string, value: unknown): boolean {
    try {
      return this.o.hub.publish(topic, Buffer.from(JSON.stringify(value)));
    } catch (cause) {
      this.o.reportError(new FrameStreamError('ERR_HUB_MESSAGE', `Could not send a message through the hub: ${String(cause)}`, { cause }));
      return false;
    }
  }

  private hearBroadcast = (bytes: Buffer): void => {
    const said = parse(bytes) as { from?: unknown; text?: unknown } | undefined;
    if (!said || typeof said.text !== 'string' || typeof said.from !== 'string') return this.malformed(new TypeError('Bad broadcast'));
    if (said.from !== this.o.hub.nodeId) this.o.broadcast(said.text);
  };

  private hearDirect = (bytes: Buffer): void => {
    const said = parse(bytes) as Envelope | undefined;
    if (!said || typeof said !== 'object') return this.malformed(new TypeError('Bad direct message'));
    if (said.kind === 'control' && typeof said.from === 'string' && said.viewer && typeof said.viewer === 'object') {
      const reply = (message: Envelope) => this.publishJson(this.directTopic(said.from), message);
      this.o.control(said.data, remoteViewer(said.viewer as ViewerInfo, said.from, said.identity, reply));
    } else if (said.kind === 'toProducer' && typeof said.from === 'string' && said.msg && typeof said.msg === 'object') {
      this.relay?.fromSession(said.from, said.msg);
    } else if (said.kind === 'producerEnds' && typeof said.target === 'number') {
      this.relay?.endedRemotely(said.target, typeof said.reason === 'string' ? said.reason : undefined);
    } else if ((said.kind === 'reply' || said.kind === 'close') && typeof said.viewer === 'number') {
      const local = this.o.viewer(said.viewer);
      if (!local) return;
      if (said.kind === 'reply') local.send(said.data);
      else local.close(said.code, said.reason);
    } else this.malformed(new TypeError('Unknown direct message'));
  };

  // Something on our topics that framestream did not write: a misconfigured
  // neighbour sharing the prefix. Said once; it cannot harm the viewers.
  private malformed(cause: unknown): void {
    if (this.malformedReported) return;
    this.malformedReported = true;
    this.o.reportError(
      new FrameStreamError('ERR_HUB_MESSAGE', `Ignoring a malformed message on the hub (another app using the same prefix?): ${String(cause)}`, { cause }),
    );
  }
}

function parse(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function jsonSafe(value: unknown): unknown {
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  } catch {
    return undefined;
  }
}
