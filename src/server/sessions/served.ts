import {
  encodeProducerInput,
  FrameStreamError,
  type FrameMetrics,
  type IngestServerMessage,
} from '../../protocol/index.js';
import { IngestSource } from '../sources/ingest.js';
import type { ValidFrame } from '../sources/frames.js';
import type { Session } from '../types.js';
import type { SessionImpl } from './session.js';

/** What the bridge needs of the producer's connection. */
export interface ProducerLink {
  send(msg: IngestServerMessage): void;
  sendBinary(bytes: Uint8Array): void;
  /** Bytes written to the socket and not yet sent. */
  readonly bufferedAmount: number;
}

/** Where a producer frame addressed to a session goes. */
export type SessionFrameRoute =
  | { kind: 'session'; offer(frame: ValidFrame, metrics: FrameMetrics | undefined, done: () => void): void }
  /** The session ended so recently that the producer may not have heard yet: dropped without complaint. */
  | { kind: 'ended' }
  | { kind: 'unknown' };

// Input frames go to the producer only while its socket holds less than
// this; past it, each session's newest frame waits in its slot (replacing
// older ones), so a slow producer sees the latest camera frame, never a
// backlog in the socket.
const HIGH_WATER_BYTES = 256 * 1024;
const RETRY_MS = 5;
// A frame and the `sessionEnd` that makes it moot can cross on the wire;
// a frame for a session that ended longer ago than this is a producer bug.
const ENDED_GRACE_MS = 10_000;
// The one text message a producer sends is small; anything longer is not it.
const MAX_TEXT_BYTES = 4096;
const MAX_REASON_CHARS = 200;

interface Served {
  target: number;
  session: SessionImpl;
  source: IngestSource;
}

export interface ServedSessionsOptions {
  error(err: FrameStreamError): void;
}

/**
 * Sessions of other nodes that this node's producer serves (with a hub):
 * consulted for targets no local session has.
 */
export interface RemoteSessions {
  route(target: number): SessionFrameRoute | undefined;
  /** The producer ended a remote session; `false` when no remote session has `target`. */
  end(target: number, reason: string | undefined): boolean;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The sessions of a `session: 'producer'` stream, as the ingest producer
 * serves them: each running session gets a nonzero u32 `target`; the
 * producer is told of its start, params and end, gets its viewer's input
 * frames (latest wins, never queued behind a full socket), and its frames
 * addressed to that target reach only that session's room. Sessions outlive
 * the producer: one that connects later is told of every running session.
 */
export class ServedSessions {
  private readonly byTarget = new Map<number, Served>();
  private readonly ended = new Map<number, number>();
  private nextTarget = 1;
  private link: ProducerLink | undefined;
  private describe: ((session: Session) => unknown) | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** With a hub: the sessions of other nodes this node's producer serves. */
  remote: RemoteSessions | undefined;

  constructor(private readonly o: ServedSessionsOptions) {}

  /** The producer these sessions go to now (a local connection, or one on another node). */
  get producer(): ProducerLink | undefined {
    return this.link;
  }

  /**
   * Hands a message to the producer, for another node's session: `false`
   * when there is none, or (binary) when its socket is too full, so that a
   * remote camera frame is dropped rather than queued.
   */
  forward(msg: IngestServerMessage | Uint8Array): boolean {
    const link = this.link;
    if (!link) return false;
    if (!(msg instanceof Uint8Array)) {
      link.send(msg);
      return true;
    }
    if (link.bufferedAmount >= HIGH_WATER_BYTES) return false;
    link.sendBinary(msg);
    return true;
  }

  /** Running sessions, for tests and stats. */
  get size(): number {
    return this.byTarget.size;
  }

  /** A session starts running: the producer serves it from now on. */
  open(session: SessionImpl): void {
    const target = this.nextTarget;
    // u32 without 0 (the stream's viewers); wrapping takes 4 billion sessions.
    this.nextTarget = this.nextTarget >= 0xffff_ffff ? 1 : this.nextTarget + 1;
    const served: Served = { target, session, source: new IngestSource() };
    served.source.setOnline(this.link !== undefined);
    this.byTarget.set(target, served);
    session.serve(served.source);
    session.on('params', (params) => this.link?.send({ type: 'sessionParams', target, params: { ...params } }));
    session.once('end', (reason) => this.closed(served, reason));
    session.onInput = () => this.flush();
    if (this.link) this.announce(this.link, served);
  }

  /** A producer that serves sessions was admitted: it hears of every running session. */
  attach(link: ProducerLink, describe: ((session: Session) => unknown) | undefined): void {
    this.link = link;
    this.describe = describe;
    for (const served of this.byTarget.values()) {
      served.source.setOnline(true);
      this.announce(link, served);
    }
    this.flush();
  }

  /** That producer is gone: sessions run on, offline, their newest input waiting for the next one. */
  detach(link: ProducerLink): void {
    if (this.link !== link) return;
    this.link = undefined;
    clearTimeout(this.retry);
    this.retry = undefined;
    for (const served of this.byTarget.values()) served.source.setOnline(false);
  }

  /** Where a frame the producer addressed to `target` goes. */
  route(target: number): SessionFrameRoute {
    const served = this.byTarget.get(target);
    if (served) return { kind: 'session', offer: (frame, metrics, done) => served.source.offer(frame, metrics, done) };
    const remote = this.remote?.route(target);
    if (remote) return remote;
    const endedAt = this.ended.get(target);
    return endedAt !== undefined && performance.now() - endedAt < ENDED_GRACE_MS ? { kind: 'ended' } : { kind: 'unknown' };
  }

  /**
   * A text message from the producer: `{ "type": "sessionEnd", "target", "reason"? }`
   * ends that session (its viewer is told the reason). Returns the error
   * that closes a producer sending anything else.
   */
  producerSays(text: string): FrameStreamError | undefined {
    const bad = (detail: string) => new FrameStreamError('ERR_PRODUCER_PROTOCOL', `Producer message refused: ${detail}`);
    if (text.length > MAX_TEXT_BYTES) return bad(`${text.length} characters, over ${MAX_TEXT_BYTES}`);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return bad('not JSON');
    }
    const { type, target, reason } = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>;
    if (type !== 'sessionEnd') return bad(`unknown type ${JSON.stringify(type)?.slice(0, 64)}`);
    if (typeof target !== 'number' || !Number.isInteger(target) || target < 1) return bad('`sessionEnd` needs a target >= 1');
    if (reason !== undefined && typeof reason !== 'string') return bad('`sessionEnd.reason` must be a string');
    return this.endSession(target, reason) ? undefined : bad(`no session has target ${target}`);
  }

  /**
   * Ends the session `target` names, as its producer asked: one of this
   * node's, or (with a hub) another node's that this node's producer
   * serves. `false` when no session has that target.
   */
  endSession(target: number, reason: string | undefined): boolean {
    const served = this.byTarget.get(target);
    if (served) served.session.end(reason?.slice(0, MAX_REASON_CHARS) || 'The model ended the session');
    else if (!this.remote?.end(target, reason?.slice(0, MAX_REASON_CHARS))) {
      // Ended already (the viewer left as the producer gave up): nothing to do.
      return this.route(target).kind === 'ended';
    }
    return true;
  }

  /** Sends each session's newest input while the producer's socket has room; tries again shortly when it has not. */
  flush(): void {
    const link = this.link;
    if (!link) return;
    for (const served of [...this.byTarget.values()]) {
      if (link.bufferedAmount >= HIGH_WATER_BYTES) {
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.flush();
        }, RETRY_MS).unref();
        return;
      }
      const frame = served.session.takeInput();
      if (!frame) continue;
      const { seq, width, height, captureTime, data } = frame;
      link.sendBinary(encodeProducerInput({ target: served.target, seq, width, height, captureTime }, data));
      // Round robin: a session that just sent goes last, so none starves another.
      this.byTarget.delete(served.target);
      this.byTarget.set(served.target, served);
    }
  }

  private announce(link: ProducerLink, { target, session }: Served): void {
    let viewer: unknown = null;
    if (this.describe) {
      try {
        viewer = this.describe(session) ?? null;
      } catch (cause) {
        this.o.error(new FrameStreamError('ERR_HOOK_FAILED', `\`ingest.sessionInfo\` threw: ${message(cause)}`, { cause }));
      }
    }
    link.send({ type: 'sessionStart', target, id: session.id, params: { ...session.params }, viewer, expiresAt: session.expiresAt });
  }

  private closed(served: Served, reason: string): void {
    this.byTarget.delete(served.target);
    served.source.close();
    const now = performance.now();
    this.ended.set(served.target, now);
    // Oldest first: stop at the first that is still recent.
    for (const [target, at] of this.ended) {
      if (now - at < ENDED_GRACE_MS) break;
      this.ended.delete(target);
    }
    this.link?.send({ type: 'sessionEnd', target: served.target, reason });
  }
}
