import type { IncomingMessage } from 'node:http';
import {
  CLOSE_CODES,
  decodeInputFrame,
  FrameStreamError,
  looksLikeJpeg,
  readJpegSize,
  wallClockMs,
  type SessionMessage,
} from '../../protocol/index.js';
import type { FrameLimits } from '../sources/frames.js';
import type { Session } from '../types.js';
import type { Viewer } from '../viewers/viewer.js';
import type { ResolvedSessions } from './options.js';
import { ServedSessions } from './served.js';
import { SessionImpl, type SessionRoomOptions } from './session.js';

export interface SessionManagerOptions {
  settings: ResolvedSessions;
  limits: FrameLimits;
  room: Omit<SessionRoomOptions, 'identity' | 'end'>;
  /** Answers a viewer's bad input with an `error` message and reports it (sampled). */
  refuse(viewer: Viewer, err: FrameStreamError): void;
}

const queryOf = (req: IncomingMessage): URLSearchParams => {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
};

const sameIdentity = (a: unknown, b: unknown): boolean => {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return a === b;
  }
};

/**
 * The sessions of one interactive stream: at most `maxSessions` run, the
 * rest wait in a FIFO queue and are told their place; a viewer whose socket
 * drops keeps its session (or place) for `sessionGrace`, and gets it back
 * with its secret token; spectators watch a session through its room.
 */
export class SessionManager {
  private readonly active = new Set<SessionImpl>();
  private readonly queue: SessionImpl[] = [];
  private readonly byToken = new Map<string, SessionImpl>();
  private readonly byId = new Map<string, SessionImpl>();
  private readonly ofViewer = new WeakMap<Viewer, { session: SessionImpl; spectator: boolean }>();
  private readonly timers = new Map<SessionImpl, { grace?: NodeJS.Timeout; limit?: NodeJS.Timeout }>();
  private closed = false;
  /** With `session: 'producer'`: the bridge to the ingest producer that serves the sessions. */
  readonly served: ServedSessions | undefined;

  constructor(private readonly o: SessionManagerOptions) {
    this.served = o.settings.handler === 'producer' ? new ServedSessions({ error: o.room.error }) : undefined;
  }

  counts(): { active: number; queued: number; spectators: number } {
    let spectators = 0;
    for (const s of this.active) spectators += s.audience.size - (s.owner ? 1 : 0);
    return { active: this.active.size, queued: this.queue.length, spectators };
  }

  /** The room whose figures a viewer's metrics should show, if it is in one. */
  sessionOf(viewer: Viewer): SessionImpl | undefined {
    return this.ofViewer.get(viewer)?.session;
  }

  /** A new framestream.v1 connection: resume, spectate, or start (or queue) a session. */
  async join(viewer: Viewer, req: IncomingMessage): Promise<void> {
    const query = queryOf(req);
    const watch = query.get('watch');
    if (watch !== null) return this.spectate(viewer, req, watch);
    const resumed = this.byToken.get(query.get('session') ?? '');
    if (resumed && !resumed.ended && sameIdentity(resumed.identity, viewer.identity)) return this.attach(resumed, viewer);
    const session = new SessionImpl({ ...this.o.room, identity: viewer.identity, end: (s, reason, how) => this.end(s, reason, how) }, (seq) =>
      session.owner?.sendMessage({ type: 'inputAck', seq }),
    );
    this.byToken.set(session.token, session);
    this.byId.set(session.id, session);
    this.queue.push(session);
    // Promoted before it is told anything: a session with room says
    // `active` once, never `queued` for a moment first.
    this.attach(session, viewer, false);
    this.promote();
  }

  /**
   * The viewer's socket closed: a spectator just leaves; an owner that said
   * goodbye (1000) ends its session, so the next in line starts at once; an
   * owner whose socket dropped keeps it for `sessionGrace`.
   */
  leave(viewer: Viewer, code: number): void {
    const link = this.ofViewer.get(viewer);
    if (!link) return;
    this.ofViewer.delete(viewer);
    const { session, spectator } = link;
    session.audience.delete(viewer);
    if (!spectator && session.owner === viewer) {
      session.owner = undefined;
      if (code === 1000) return this.end(session, 'The viewer left', 'gone');
      this.later(session, 'grace', this.o.settings.sessionGrace, () => this.end(session, 'The viewer did not come back', 'gone'));
    }
    session.updateDemand();
  }

  params(viewer: Viewer, params: Record<string, unknown>): void {
    const link = this.ofViewer.get(viewer);
    if (!link || link.spectator) return this.o.refuse(viewer, new FrameStreamError('ERR_NOT_IN_SESSION', 'Only a session\'s own viewer can set its params'));
    link.session.setParams(params);
  }

  input(viewer: Viewer, bytes: Uint8Array): void {
    const link = this.ofViewer.get(viewer);
    if (!link || link.spectator || link.session.startedAt === undefined) {
      return this.o.refuse(viewer, new FrameStreamError('ERR_NOT_IN_SESSION', 'Input frames are taken only from the viewer of a running session'));
    }
    let frame;
    try {
      const { header, payload } = decodeInputFrame(bytes);
      if (payload.byteLength > this.o.settings.maxInputBytes) {
        throw new FrameStreamError('ERR_INPUT_TOO_LARGE', `Input frame is ${payload.byteLength} bytes; \`maxInputBytes\` is ${this.o.settings.maxInputBytes}`);
      }
      const size = looksLikeJpeg(payload) ? readJpegSize(payload) : null;
      if (!size) throw new FrameStreamError('ERR_INPUT_INVALID', 'Input frame is not one complete JPEG file');
      const { maxFrameWidth, maxFrameHeight } = this.o.limits;
      if (size.width > maxFrameWidth || size.height > maxFrameHeight) {
        throw new FrameStreamError('ERR_INPUT_TOO_LARGE', `Input frame is ${size.width}×${size.height}, over ${maxFrameWidth}×${maxFrameHeight}`);
      }
      frame = { ...header, ...size, receivedTime: wallClockMs(), data: payload };
    } catch (err) {
      return this.o.refuse(viewer, err instanceof FrameStreamError ? err : new FrameStreamError('ERR_INPUT_INVALID', String(err)));
    }
    link.session.offerInput(frame);
  }

  /** Ends every session (the stream is closing). */
  close(): void {
    this.closed = true;
    for (const s of [...this.active, ...this.queue]) this.end(s, 'The server is closing', 'gone');
  }

  private attach(session: SessionImpl, viewer: Viewer, tell = true): void {
    const previous = session.owner;
    if (previous && previous !== viewer) {
      // The token is the session's secret: whoever holds it is its viewer.
      this.ofViewer.delete(previous);
      session.audience.delete(previous);
      previous.ws.close(CLOSE_CODES.sessionEnded, 'Resumed on another connection');
    }
    this.clearTimer(session, 'grace');
    session.owner = viewer;
    this.ofViewer.set(viewer, { session, spectator: false });
    if (session.startedAt !== undefined) session.audience.add(viewer);
    if (tell) this.tell(session);
    session.updateDemand();
  }

  private async spectate(viewer: Viewer, req: IncomingMessage, id: string): Promise<void> {
    const session = this.byId.get(id);
    const hook = this.o.settings.authorizeSpectator;
    let allowed = false;
    try {
      allowed = !!session && session.startedAt !== undefined && !!hook && (await hook(req, session as Session)) === true;
    } catch (cause) {
      this.o.room.error(new FrameStreamError('ERR_HOOK_FAILED', '`authorizeSpectator` threw', { cause }));
    }
    if (!allowed || !session || session.ended || viewer.ws.readyState !== 1) {
      viewer.sendMessage({ type: 'session', state: 'ended', reason: 'There is no session to watch with that id' });
      return void viewer.ws.close(CLOSE_CODES.sessionEnded, 'No session to watch');
    }
    this.ofViewer.set(viewer, { session, spectator: true });
    session.audience.add(viewer);
    viewer.sendMessage({ type: 'session', state: 'active', id: session.id, token: '', expiresAt: session.expiresAt, spectator: true });
    const latest = session.channel.latest;
    if (latest) viewer.offer(latest, performance.now(), 0);
    session.updateDemand();
  }

  /** Starts queued sessions while there is room, in order; a session whose viewer is away keeps its place. */
  private promote(): void {
    if (this.closed) return;
    for (let i = 0; i < this.queue.length && this.active.size < this.o.settings.maxSessions; ) {
      const session = this.queue[i]!;
      if (!session.owner) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.active.add(session);
      this.run(session);
    }
    for (const s of this.queue) this.tell(s);
  }

  private run(session: SessionImpl): void {
    const { sessionTimeout } = this.o.settings;
    if (sessionTimeout > 0) {
      session.expiresAt = Date.now() + sessionTimeout;
      const seconds = Math.round(sessionTimeout / 1000);
      this.later(session, 'limit', sessionTimeout, () => this.end(session, `Session time limit (${seconds} s) reached`, 'timeout'));
    }
    if (session.owner) session.audience.add(session.owner);
    const handler = this.o.settings.handler;
    if (handler === 'producer') this.served!.open(session);
    else void session.start(handler);
    this.tell(session);
    session.updateDemand();
  }

  private end(session: SessionImpl, reason: string, how: 'ended' | 'failed' | 'timeout' | 'gone'): void {
    if (session.ended) return;
    const code = how === 'timeout' ? CLOSE_CODES.sessionTimeout : CLOSE_CODES.sessionEnded;
    // The owner (even while queued, outside the room) and every spectator.
    for (const v of new Set([...session.audience, ...(session.owner ? [session.owner] : [])])) {
      this.ofViewer.delete(v);
      v.sendMessage({ type: 'session', state: 'ended', reason });
      v.ws.close(code, reason.slice(0, 120));
    }
    this.clearTimer(session, 'grace');
    this.clearTimer(session, 'limit');
    this.active.delete(session);
    const queued = this.queue.indexOf(session);
    if (queued !== -1) this.queue.splice(queued, 1);
    this.byToken.delete(session.token);
    this.byId.delete(session.id);
    session.close(reason);
    this.promote();
  }

  /** Tells the session's viewer where it stands. */
  private tell(session: SessionImpl): void {
    const owner = session.owner;
    if (!owner) return;
    const msg: SessionMessage =
      session.startedAt === undefined
        ? { type: 'session', state: 'queued', position: this.queue.indexOf(session) + 1, token: session.token }
        : { type: 'session', state: 'active', id: session.id, token: session.token, expiresAt: session.expiresAt, spectator: false };
    owner.sendMessage(msg);
  }

  private later(session: SessionImpl, kind: 'grace' | 'limit', ms: number, fn: () => void): void {
    this.clearTimer(session, kind);
    const timers = this.timers.get(session) ?? {};
    timers[kind] = setTimeout(fn, ms).unref();
    this.timers.set(session, timers);
  }

  private clearTimer(session: SessionImpl, kind: 'grace' | 'limit'): void {
    const timers = this.timers.get(session);
    if (!timers) return;
    clearTimeout(timers[kind]);
    delete timers[kind];
    if (!timers.grace && !timers.limit) this.timers.delete(session);
  }
}
