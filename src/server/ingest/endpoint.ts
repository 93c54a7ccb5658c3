import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  FrameStreamError,
  PRODUCER_CLOSE_CODES,
  PRODUCER_HEADER_BYTES,
  PRODUCER_SESSIONS_PARAM,
  PRODUCER_SUBPROTOCOL,
  type FrameMetrics,
} from '../../protocol/index.js';
import type { ServedSessions } from '../sessions/served.js';
import { attachRoute } from '../http/host.js';
import { refuseUpgrade } from '../http/gate.js';
import { normalizePath } from '../http/host.js';
import type { ResolvedIngest } from './options.js';
import type { FrameLimits, ValidFrame } from '../sources/frames.js';
import { FailureLimiter, presentedToken, tokenMatches } from './auth.js';
import { ProducerConnection } from './connection.js';

export interface IngestEndpointOptions {
  server: HttpServer;
  settings: ResolvedIngest;
  limits: FrameLimits;
  stream: () => { path: string; width: number; height: number; fps: number };
  watching: () => boolean;
  /** ms between pings; a producer that left one unanswered is cut off (0: never). */
  heartbeatInterval: number;
  /** A producer connected (true) or its connection ended (false). */
  online(online: boolean): void;
  frame(frame: ValidFrame, metrics: FrameMetrics | undefined, done: () => void): void;
  /** With `session: 'producer'`: the sessions a producer that asks (`?sessions=1`) serves. */
  sessions?: ServedSessions;
  /** With a hub: whether a producer feeds this stream on another node now. */
  busyElsewhere?: () => boolean;
  reportError(err: FrameStreamError): void;
}

/** Whether the producer asked to serve sessions: `?sessions=1` (or `true`) on its URL. */
function asksForSessions(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const value = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get(PRODUCER_SESSIONS_PARAM);
  return value === '1' || value === 'true';
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The producer's door: a WebSocket on its own path and subprotocol, on the
 * same host server, for one producer at a time. It authenticates (token in
 * constant time, or the app's hook), limits failed attempts per address,
 * and hands each connection's frames to the stream.
 */
export class IngestEndpoint {
  readonly path: string;
  private readonly wss: WebSocketServer;
  private readonly failures = new FailureLimiter();
  private readonly detach: () => void;
  private current: ProducerConnection | undefined;
  private closed = false;

  constructor(private readonly o: IngestEndpointOptions) {
    this.path = normalizePath(o.settings.path);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // The largest frame (float32 pixels take 4 bytes each for every byte
      // they become), its header and the largest metrics a header can hold;
      // ws closes anything larger with 1009 before reading it. Frames within
      // this but over `maxFrameBytes` are refused by validation (4400).
      maxPayload: 4 * o.limits.maxFrameBytes + PRODUCER_HEADER_BYTES + 0xffff,
      handleProtocols: (protocols) => (protocols.has(PRODUCER_SUBPROTOCOL) ? PRODUCER_SUBPROTOCOL : false),
    });
    this.detach = attachRoute(o.server, {
      paths: { ws: this.path, snapshot: false },
      hostClosing: () => this.close(),
      claimsUpgrade: (pathname) => normalizePath(pathname) === this.path,
      upgrade: (req, socket, head) => void this.upgrade(req, socket, head),
      request: () => false,
    });
  }

  get connected(): boolean {
    return this.current !== undefined;
  }

  /** Tells the producer whether anyone watches, so its model can pause. */
  demand(watching: boolean): void {
    this.current?.send({ type: 'demand', watching });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.current?.ws.close(1001, 'Server closing');
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const address = req.socket.remoteAddress ?? 'unknown';
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .some((p) => p.trim() === PRODUCER_SUBPROTOCOL);
    if (this.closed) return refuseUpgrade(socket, 503);
    if (!offered) return refuseUpgrade(socket, 400);
    const wait = this.failures.blockedFor(address);
    if (wait > 0) return refuseUpgrade(socket, 429, { 'Retry-After': String(Math.ceil(wait / 1000)) });
    let ok = false;
    try {
      ok = await this.authorized(req);
    } catch (cause) {
      this.o.reportError(new FrameStreamError('ERR_HOOK_FAILED', `\`authorizeProducer\` threw: ${errorText(cause)}`, { cause }));
      return refuseUpgrade(socket, 500);
    }
    if (!ok) {
      this.failures.fail(address);
      this.o.reportError(new FrameStreamError('ERR_PRODUCER_REFUSED', `Refused a producer from ${address} on ${this.path}: not authorized`));
      return refuseUpgrade(socket, 401);
    }
    if (this.closed || socket.destroyed) return void socket.destroy();
    try {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, asksForSessions(req)));
    } catch (cause) {
      this.o.reportError(new FrameStreamError('ERR_SOCKET', `Producer handshake failed: ${errorText(cause)}`, { cause }));
      socket.destroy();
    }
  }

  // A producer whose host vanished without closing its TCP connection would
  // keep the stream "online" for good; an unanswered ping ends it.
  private heartbeat(ws: import('ws').WebSocket): () => void {
    const interval = this.o.heartbeatInterval;
    if (interval <= 0) return () => {};
    let alive = true;
    const live = () => (alive = true);
    ws.on('pong', live);
    ws.on('message', live);
    const timer = setInterval(() => {
      if (!alive) {
        this.o.reportError(new FrameStreamError('ERR_HEARTBEAT_TIMEOUT', `The producer on ${this.path} did not answer a heartbeat ping`));
        return ws.terminate();
      }
      alive = false;
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }, interval).unref();
    return () => clearInterval(timer);
  }

  private async authorized(req: IncomingMessage): Promise<boolean> {
    const { token, authorizeProducer } = this.o.settings;
    if (token !== undefined && !tokenMatches(token, presentedToken(req))) return false;
    if (authorizeProducer) return (await authorizeProducer(req)) === true;
    return true;
  }

  private accept(ws: import('ws').WebSocket, servesSessions: boolean): void {
    ws.on('error', (cause: Error & { code?: string }) => {
      const code = cause.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'ERR_INVALID_FRAME' : 'ERR_SOCKET';
      this.o.reportError(new FrameStreamError(code, `Producer on ${this.path}: ${cause.message}`, { cause }));
    });
    if (this.closed) return void ws.close(1001, 'Server closing');
    const sessions = this.o.sessions;
    // Checked before it can replace anyone: a producer that cannot serve
    // the sessions must not take them from one that does. The handshake is
    // accepted so that it can be told why, in words, before the close.
    if (sessions && !servesSessions) {
      const message = `The stream on ${this.path} serves its sessions from a producer: connect with ?${PRODUCER_SESSIONS_PARAM}=1 and serve them (docs/producers.md)`;
      this.o.reportError(new FrameStreamError('ERR_PRODUCER_REFUSED', `Refused a producer that does not serve sessions: ${message}`));
      if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'error', code: 'ERR_PRODUCER_REFUSED', message }));
      return void ws.close(PRODUCER_CLOSE_CODES.sessionsRequired, `Connect with ?${PRODUCER_SESSIONS_PARAM}=1 to serve this stream's sessions`);
    }
    const previous = this.current;
    // One producer per stream across the cluster too. `replace` cannot reach
    // a producer on another node, so it only applies on this one.
    if (!previous && !this.o.settings.replace && this.o.busyElsewhere?.()) {
      this.o.reportError(new FrameStreamError('ERR_PRODUCER_BUSY', `Refused a second producer on ${this.path}: one is connected to another node`));
      return void ws.close(PRODUCER_CLOSE_CODES.busy, 'Another producer feeds this stream on another node');
    }
    if (previous) {
      if (!this.o.settings.replace) {
        this.o.reportError(new FrameStreamError('ERR_PRODUCER_BUSY', `Refused a second producer on ${this.path}: one is connected`));
        return void ws.close(PRODUCER_CLOSE_CODES.busy, 'Another producer is connected to this stream');
      }
      previous.ws.close(PRODUCER_CLOSE_CODES.replaced, 'Replaced by a newer producer');
    }
    const conn = new ProducerConnection(ws, {
      limits: this.o.limits,
      credits: this.o.settings.credits,
      frame: (target, frame, metrics, done) => this.route(target, servesSessions, frame, metrics, done),
      ...(sessions && servesSessions && { text: (text: string) => sessions.producerSays(text) }),
      reportError: (err) => this.o.reportError(err),
    });
    this.current = conn;
    const stopHeartbeat = this.heartbeat(ws);
    ws.on('close', () => {
      stopHeartbeat();
      sessions?.detach(conn);
      if (this.current !== conn) return;
      this.current = undefined;
      this.o.online(false);
    });
    conn.send({
      type: 'welcome',
      version: 1,
      credits: this.o.settings.credits,
      maxFrameBytes: this.o.limits.maxFrameBytes,
      maxFrameWidth: this.o.limits.maxFrameWidth,
      maxFrameHeight: this.o.limits.maxFrameHeight,
      stream: this.o.stream(),
      watching: this.o.watching(),
      // Only a producer that asked hears of sessions at all, not even this
      // field: a v1 producer closes on what it does not know.
      ...(servesSessions && { sessions: sessions !== undefined }),
    });
    this.o.online(true);
    if (sessions) sessions.attach(conn, this.o.settings.sessionInfo);
  }

  /** Where a frame goes by its target: the stream (0), or a session the producer serves. */
  private route(
    target: number,
    servesSessions: boolean,
    frame: ValidFrame,
    metrics: FrameMetrics | undefined,
    done: () => void,
  ): FrameStreamError | boolean {
    const sessions = this.o.sessions;
    if (target === 0) {
      if (sessions) {
        return new FrameStreamError('ERR_PRODUCER_PROTOCOL', 'Frame target 0: this stream has no viewers outside its sessions; address a session');
      }
      this.o.frame(frame, metrics, done);
      return true;
    }
    if (!sessions || !servesSessions) {
      return new FrameStreamError('ERR_PRODUCER_PROTOCOL', `Unknown frame target ${target}: this connection serves no sessions, only 0`);
    }
    const to = sessions.route(target);
    if (to.kind === 'ended') return false;
    if (to.kind === 'session') {
      to.offer(frame, metrics, done);
      return true;
    }
    return new FrameStreamError('ERR_PRODUCER_PROTOCOL', `Unknown frame target ${target}: no session has that number`);
  }
}

