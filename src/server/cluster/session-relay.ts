import type { FrameMetrics, IngestServerMessage } from '../../protocol/index.js';
import type { ProducerLink, ServedSessions, SessionFrameRoute } from '../sessions/served.js';
import type { ValidFrame } from '../sources/frames.js';
import type { Session } from '../types.js';
import type { FrameStreamHub } from './hub.js';

// Targets this node's producer gets for other nodes' sessions, apart from
// the ones its own sessions take (which count up from 1).
const REMOTE_TARGETS_FROM = 0x8000_0000;
const ENDED_GRACE_MS = 10_000;
const INPUT = 1;
const FRAME = 2;

interface RemoteTarget {
  node: string;
  /** The target the session has on its own node. */
  target: number;
}

/**
 * Producer-served sessions across a hub. A session runs on its viewer's
 * node; the producer may be connected to another. The viewer's node then
 * serves its sessions through a stand-in producer link that sends each
 * session message and input frame over the hub to the producer's node,
 * which renumbers the session's target for its producer and sends the
 * producer's frames for it back. A node with a producer of its own uses it.
 */
export class SessionRelay {
  private readonly byLocal = new Map<number, RemoteTarget>();
  private readonly byRemote = new Map<string, number>();
  private readonly ended = new Map<number, number>();
  private nextTarget = REMOTE_TARGETS_FROM;
  private readonly stopBinary: () => void;
  /** The stand-in attached to this node's sessions, and the node it reaches. */
  private standIn: { node: string; link: ProducerLink } | undefined;

  constructor(
    private readonly hub: FrameStreamHub,
    private readonly name: string,
    private readonly served: ServedSessions,
    private readonly sessionInfo: ((session: Session) => unknown) | undefined,
    /** Sends JSON to another node's direct topic. */
    private readonly sendJson: (node: string, value: object) => boolean,
  ) {
    served.remote = {
      route: (target) => this.route(target),
      end: (target, reason) => this.endFromProducer(target, reason),
    };
    this.stopBinary = hub.subscribe(this.binaryTopic(hub.nodeId), this.hearBinary);
  }

  /**
   * Who serves this node's sessions: its own producer when one is connected
   * here, else the one on `producerNode`, else none (sessions wait offline).
   */
  sync(producerNode: string | undefined): void {
    const current = this.served.producer;
    if (this.standIn && (current !== this.standIn.link || this.standIn.node !== producerNode)) {
      if (current === this.standIn.link) this.served.detach(this.standIn.link);
      this.standIn = undefined;
    }
    if (!this.served.producer && producerNode) {
      const link = this.standInFor(producerNode);
      this.standIn = { node: producerNode, link };
      this.served.attach(link, this.sessionInfo);
    }
  }

  /** A message another node's session sends its producer, arrived here (this node has it). */
  fromSession(node: string, msg: IngestServerMessage): void {
    if (!('target' in msg) || typeof msg.target !== 'number') return;
    const key = `${node}:${msg.target}`;
    let local = this.byRemote.get(key);
    if (msg.type === 'sessionStart' && local === undefined) {
      local = this.nextTarget;
      this.nextTarget = this.nextTarget >= 0xffff_ffff ? REMOTE_TARGETS_FROM : this.nextTarget + 1;
      this.byRemote.set(key, local);
      this.byLocal.set(local, { node, target: msg.target });
    }
    if (local === undefined) return;
    this.served.forward({ ...msg, target: local } as IngestServerMessage);
    if (msg.type === 'sessionEnd') this.forget(local, key);
  }

  /** The producer on another node ended one of this node's sessions. */
  endedRemotely(target: number, reason: string | undefined): void {
    this.served.endSession(target, reason); // a session already gone is no error
  }

  /** A node left the cluster: its sessions are over for this node's producer. */
  nodeGone(node: string): void {
    for (const [local, remote] of [...this.byLocal]) {
      if (remote.node !== node) continue;
      this.served.forward({ type: 'sessionEnd', target: local, reason: 'The viewer\'s node went away' });
      this.forget(local, `${node}:${remote.target}`);
    }
  }

  close(): void {
    this.stopBinary();
    this.served.remote = undefined;
    if (this.standIn && this.served.producer === this.standIn.link) this.served.detach(this.standIn.link);
    this.standIn = undefined;
  }

  private forget(local: number, key: string): void {
    this.byLocal.delete(local);
    this.byRemote.delete(key);
    this.ended.set(local, performance.now());
    for (const [target, at] of this.ended) {
      if (performance.now() - at < ENDED_GRACE_MS) break;
      this.ended.delete(target);
    }
  }

  // Producer side: a frame the producer addressed to another node's session.
  private route(target: number): SessionFrameRoute | undefined {
    const remote = this.byLocal.get(target);
    if (remote) {
      return {
        kind: 'session',
        offer: (frame, metrics, done) => {
          this.hub.publish(this.binaryTopic(remote.node), encodeRelayedFrame(remote.target, frame, metrics));
          done(); // latest-wins happens at the session: nothing waits here
        },
      };
    }
    return this.ended.has(target) ? { kind: 'ended' } : undefined;
  }

  // Producer side: the producer ended another node's session.
  private endFromProducer(target: number, reason: string | undefined): boolean {
    const remote = this.byLocal.get(target);
    if (!remote) return this.ended.has(target);
    this.sendJson(remote.node, { kind: 'producerEnds', target: remote.target, ...(reason && { reason }) });
    return true;
  }

  private standInFor(node: string): ProducerLink {
    const from = this.hub.nodeId;
    return {
      send: (msg: IngestServerMessage) => void this.sendJson(node, { kind: 'toProducer', from, msg }),
      sendBinary: (bytes: Uint8Array) => void this.hub.publish(this.binaryTopic(node), encodeRelayedInput(from, bytes)),
      // The hub bounds what is on its way; the producer's node drops input its socket cannot take.
      bufferedAmount: 0,
    };
  }

  private binaryTopic(node: string): string {
    return `${this.name}:sessions:${node}`;
  }

  private hearBinary = (bytes: Buffer): void => {
    try {
      if (bytes[0] === INPUT) {
        const n = bytes[1]!;
        const node = bytes.toString('latin1', 2, 2 + n);
        const input = Buffer.from(bytes.subarray(2 + n));
        const remoteTarget = input.readUInt32LE(4);
        const local = this.byRemote.get(`${node}:${remoteTarget}`);
        if (local === undefined) return;
        input.writeUInt32LE(local, 4);
        this.served.forward(input);
      } else if (bytes[0] === FRAME) {
        const { target, frame, metrics } = decodeRelayedFrame(bytes);
        const to = this.served.route(target);
        if (to.kind === 'session') to.offer(frame, metrics, () => {});
      }
    } catch {
      // Not ours (a neighbour on the same prefix): nothing to deliver.
    }
  };
}

// Input frame, viewer's node → producer's node: type, sender, then the
// producer input message exactly as the producer will get it (target renumbered).
function encodeRelayedInput(node: string, input: Uint8Array): Buffer {
  const n = Buffer.byteLength(node, 'latin1');
  const out = Buffer.allocUnsafe(2 + n + input.byteLength);
  out[0] = INPUT;
  out[1] = n;
  out.write(node, 2, 'latin1');
  out.set(input, 2 + n);
  return out;
}

// Frame, producer's node → viewer's node:
// type u8 | target u32 | kind u8 (0 JPEG, 1 raw) | width u16 | height u16 | channels u8 | metrics length u32 | metrics JSON | bytes
function encodeRelayedFrame(target: number, frame: ValidFrame, metrics: FrameMetrics | undefined): Buffer {
  const json = metrics ? Buffer.from(JSON.stringify(metrics)) : Buffer.alloc(0);
  const data = frame.kind === 'jpeg' ? frame.bytes : frame.pixels;
  const out = Buffer.allocUnsafe(15 + json.byteLength + data.byteLength);
  out[0] = FRAME;
  out.writeUInt32LE(target, 1);
  out[5] = frame.kind === 'jpeg' ? 0 : 1;
  out.writeUInt16LE(frame.width, 6);
  out.writeUInt16LE(frame.height, 8);
  out[10] = frame.kind === 'jpeg' ? 0 : frame.channels;
  out.writeUInt32LE(json.byteLength, 11);
  json.copy(out, 15);
  out.set(data, 15 + json.byteLength);
  return out;
}

function decodeRelayedFrame(bytes: Buffer): { target: number; frame: ValidFrame; metrics: FrameMetrics | undefined } {
  const target = bytes.readUInt32LE(1);
  const width = bytes.readUInt16LE(6);
  const height = bytes.readUInt16LE(8);
  const channels = bytes[10]!;
  const jsonLength = bytes.readUInt32LE(11);
  if (15 + jsonLength > bytes.byteLength) throw new RangeError('Relayed frame runs past its end');
  const metrics = jsonLength > 0 ? (JSON.parse(bytes.toString('utf8', 15, 15 + jsonLength)) as FrameMetrics) : undefined;
  const data = bytes.subarray(15 + jsonLength);
  if (bytes[5] === 0) return { target, frame: { kind: 'jpeg', bytes: data, width, height }, metrics };
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError('Relayed frame has a bad channel count');
  if (data.byteLength !== width * height * channels) throw new RangeError('Relayed frame size does not match its pixels');
  return { target, frame: { kind: 'raw', pixels: data, width, height, channels }, metrics };
}
