import { FrameStreamError, SUBPROTOCOL } from '../protocol/index.js';
import { Endpoints } from './endpoints.js';
import { describeEnd, toFailure } from './failure.js';
import { Heartbeat } from './heartbeat.js';
import type { InputFrameSource, SendFrameOptions } from './encode.js';
import type { SendFrameResult } from './input.js';
import { Interactive } from './interactive.js';
import { WireFormat } from './wire-format.js';
import type { FrameMetrics, ServerMetrics, StreamInfo } from '../protocol/index.js';
import { checkMaxFps, resolveClientOptions, serializeControlData, type ResolvedClientOptions } from './options.js';
import { handleMessage, withSourceMetrics, type Receiver } from './receive.js';
import { Reconnector } from './reconnect.js';
import { SafeEmitter } from './safe-emitter.js';
import { SnapshotStore } from './snapshot.js';
import { closeQuietly, openWebSocket, type SocketEvents } from './socket.js';
import { SourceTracker } from './source.js';
import { StreamStats } from './stats.js';
import type { FrameStreamClientOptions } from './client-options.js';
import type { ClientSnapshot, ClientStats, ClientStatus, ConnectionFailure, WebSocketLike } from './types.js';

const OPEN = 1;

/**
 * Receives a framestream (or a bare-JPEG WebSocket stream), reconnects when
 * it drops, and reports FPS, latency and server metrics. Runs in browsers
 * and in Node; it imports nothing from React or Node.
 *
 * Events are listed in {@link FrameStreamEvents}. For React, use the
 * `subscribe()`/`getSnapshot()` pair (or `framestream/react`).
 *
 * @example Browser
 * const client = new FrameStreamClient({ url: '/ws/test/', autoConnect: true });
 * client.on('frame', (frame) => paint(frame.data, frame.width, frame.height));
 * client.on('fps', (fps) => console.log(fps.toFixed(1), 'fps'));
 *
 * @example Node 20 (no global WebSocket)
 * import WebSocket from 'ws';
 * const client = new FrameStreamClient({ url: 'ws://localhost:8080/ws/test/', WebSocket });
 * client.connect();
 */
export class FrameStreamClient extends SafeEmitter {
  private readonly opts: ResolvedClientOptions;
  private readonly stats: StreamStats;
  private readonly store: SnapshotStore;
  private readonly reconnector: Reconnector;
  /** Which URL each attempt goes to: the next in the list, or what the `url` function says. */
  private readonly endpoints: Endpoints;
  private _status: ClientStatus = 'disconnected';
  private ws: WebSocketLike | null = null;
  private opened = false;
  private socketError: string | null = null;
  /** The current connection reached `connected` (hello, first frame or hello timeout). */
  private established = false;
  private framed: boolean | null = null;
  private stream: StreamInfo | null = null;
  private metrics: (ServerMetrics & { source?: FrameMetrics }) | null = null;
  private sourceMetrics: FrameMetrics | undefined;
  /** Whether an external producer feeds the stream, from the server's metrics. */
  private readonly source = new SourceTracker();
  private maxFps: number | null;
  private destroyed = false;
  /** The last connection failure, for the snapshot; cleared once connected. */
  private failure: ConnectionFailure | null = null;
  /** Whether to ask for framestream.v1, and the `auto` mode's fallback to bare. */
  private readonly wire: WireFormat;
  private readonly heartbeat: Heartbeat;
  /** An interactive stream's session: state, resume token, input frames, params, round trip. */
  private readonly interactive: Interactive;
  private timers: { hello?: ReturnType<typeof setTimeout>; fps?: ReturnType<typeof setInterval> } = {};

  /** Checks every option at once and throws a `TypeError`/`RangeError` naming the first bad one. */
  constructor(options: FrameStreamClientOptions) {
    super();
    this.opts = resolveClientOptions(options);
    this.maxFps = this.opts.maxFps;
    this.wire = new WireFormat(this.opts.mode);
    this.stats = new StreamStats(this.opts.latencyWindow);
    const { policy, stableAfterMs, stopOnCloseCodes, maxConnectAttempts, maxRetryTimeMs } = this.opts;
    this.endpoints = new Endpoints(this.opts.url);
    this.reconnector = new Reconnector(policy, stableAfterMs, { stopOnCloseCodes, maxConnectAttempts, maxRetryTimeMs }, () => this.endpoints.describe());
    this.heartbeat = new Heartbeat(this.opts, {
      send: (ping) => this.sendJson(ping),
      roundTrips: () => this.stats.clock.roundTrips,
      dead: (idleMs) => this.dropDeadConnection(idleMs),
    });
    this.interactive = new Interactive(this.opts, {
      sendBinary: (message) => this.sendData(message),
      sendText: (text) => this.sendData(text),
      connected: () => this._status === 'connected',
      stream: () => this.stream,
      clockOffsetMs: () => this.stats.clock.offsetMs,
      error: (error) => this.emitSafe('error', error),
    });
    this.store = new SnapshotStore(this.buildSnapshot());
    if (this.opts.autoConnect) this.connect();
  }

  /** Current connection state; every change is also a `status` event. */
  get status(): ClientStatus {
    return this._status;
  }

  /**
   * The node the client is on: the URL of its connection or attempt (resolved,
   * no session token); between attempts the next URL of a list, or the one a
   * `url` function gave last (`null` before its first answer).
   */
  get url(): string | null {
    return this.endpoints.current;
  }

  /**
   * Opens the connection. Does nothing while connecting, connected or
   * waiting to reconnect; after `error` (reconnects given up) it starts
   * afresh. Throws after `destroy()`.
   */
  connect(): void {
    if (this.destroyed) throw new Error('FrameStreamClient was destroyed; create a new one');
    if (this._status !== 'disconnected' && this._status !== 'error') return;
    // A session that ended is over; a new connection starts a new one.
    if (this.interactive.session.current?.state === 'ended') this.forgetSession();
    this.reconnector.reset();
    this.wire.reset();
    this.setStatus('connecting');
    this.openSocket();
  }

  /** Closes the connection with code 1000 and stops reconnecting. Harmless when already disconnected. */
  disconnect(): void {
    this.reconnector.reset();
    this.endpoints.cancel();
    const ws = this.ws;
    if (ws) {
      this.endConnection();
      closeQuietly(ws, 1000, 'client disconnect');
      this.emitSafe('close', { code: 1000, reason: 'client disconnect' });
    }
    // Closing with 1000 ends the session on the server: nothing to resume.
    this.forgetSession();
    this.setStatus('disconnected');
  }

  /** Disconnects, removes every listener and subscriber; `connect()` throws afterwards. */
  destroy(): void {
    this.disconnect();
    this.destroyed = true;
    this.removeAllListeners();
    this.store.clear();
  }

  /**
   * Asks the server for at most `fps` frames per second on this connection
   * (`null` removes the cap). The cap is sent again after every reconnect.
   * Returns whether it reached the server now (it is kept either way).
   */
  setMaxFps(fps: number | null): boolean {
    this.maxFps = checkMaxFps(fps);
    const sent = this.sendJson({ type: 'setMaxFps', fps: this.maxFps });
    if (sent) this.stats.capChanged(this.maxFps !== null);
    return sent;
  }

  /**
   * Sends an app-defined control message (`{ type: 'control', data }`) to the
   * server's `onControl` hook, e.g. a prompt. Throws a `TypeError` when `data`
   * cannot be JSON-serialised; returns `false` when no framestream.v1
   * connection is open to take it.
   *
   * @example
   * client.send({ prompt: 'a lighthouse at dusk', steps: 4 });
   */
  send(data: unknown): boolean {
    return this.sendData(`{"type":"control","data":${serializeControlData(data)}}`);
  }

  /**
   * Sends one input frame (a camera frame) to an interactive stream's
   * session (docs/sessions.md). Takes one encoded JPEG (`Blob`,
   * `ArrayBuffer`, `Uint8Array` or any view) or, in browsers and their
   * workers, an `ImageBitmap`, `VideoFrame`, `HTMLCanvasElement` or
   * `OffscreenCanvas`, which it encodes to JPEG at `options.width` ×
   * `options.height` (default: the stream's size on an interactive stream,
   * else the source's) and `options.quality` (default 0.8). The client owns
   * an `ImageBitmap` or `VideoFrame` from the call on and closes it once
   * encoded, dropped or refused.
   *
   * Flow control: at most `maxInputInFlight` frames go unacknowledged;
   * past that the newest frame waits in a single slot (replacing the one
   * that waited), and frames offered faster than `maxInputFps` are dropped.
   * Returns `'sent'`, `'waiting'` or `'dropped'`; `false` (no throw) while
   * the client is not in an active session of its own (queued, spectating,
   * a broadcast stream, not connected). A bad argument throws a `TypeError`
   * naming it; an encoder failure is an `ERR_ENCODE_FAILED` error event.
   *
   * @example
   * const bitmap = await createImageBitmap(video);
   * client.sendFrame(bitmap, { width: 512, height: 512 });
   */
  sendFrame(frame: InputFrameSource, options?: SendFrameOptions): SendFrameResult {
    return this.interactive.sendFrame(frame, options);
  }

  /**
   * Sets the session's parameters (`{ type: 'params', params }`, e.g. a
   * prompt), replacing the previous ones. They are kept and sent again on
   * every connection once the server has placed this viewer (queued or
   * active): after a resume, or to a new session.
   * Returns whether they reached the server now; throws a `TypeError` for
   * anything but a JSON-serialisable plain object.
   *
   * @example
   * client.setParams({ prompt: 'a watercolour fox', strength: 0.6 });
   */
  setParams(params: Record<string, unknown>): boolean {
    return this.interactive.setParams(params);
  }

  /** Counts and figures as of now (a new object on every call). */
  getStats(): ClientStats {
    const { _status: status, stream, framed, interactive: { roundTrip, inputInFlight } } = this;
    return { status, ...this.stats.figures(), reconnectAttempt: this.reconnector.attempt, stream, framed, roundTrip: roundTrip.percentiles(), inputInFlight };
  }

  /**
   * Registers `listener` to be called whenever {@link getSnapshot} changes;
   * returns the unsubscribe function. Shaped for React's `useSyncExternalStore`
   * (bound, so it can be passed as is).
   */
  subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  /**
   * An immutable {@link ClientSnapshot}, the same object until a visible
   * figure changes: on status changes, once per `fpsInterval` and on server
   * metrics, never once per frame. Bound, like `subscribe`.
   */
  getSnapshot = (): ClientSnapshot => this.store.get();

  // ---- connection lifecycle -------------------------------------------------

  /** Asks for the URL of the next attempt (at once for a list, maybe later from a `url` function) and opens it. */
  private openSocket(closeCode?: number): void {
    const context = { attempt: this.reconnector.attempt, ...(closeCode !== undefined && { closeCode }) };
    this.endpoints.pick(context, (url) => this.openSocketTo(url), (error) => this.noUrl(error));
  }

  private openSocketTo(url: string): void {
    if (this.store.get().url !== url) this.refreshSnapshot(); // a URL a function just gave
    try {
      // With a session to resume, the URL carries its token.
      const target = this.interactive.session.urlFor(url);
      this.ws = openWebSocket(this.opts.WebSocket, target, this.wire.asksFramed, (ws) => this.ws === ws, this.socketEvents);
    } catch (cause) {
      // Only a URL the runtime refuses gets here; retrying cannot help.
      const error = new FrameStreamError('ERR_SOCKET', `Cannot open a WebSocket to ${url}`, { cause });
      this.failure = toFailure(error, url, null);
      this.emitSafe('error', error);
      return this.setStatus('error');
    }
    this.opened = false;
    this.socketError = null;
  }

  private readonly socketEvents: SocketEvents = {
    open: (ws) => this.onOpen(ws),
    message: (data) => {
      this.heartbeat.heard();
      handleMessage(this.receiver, data);
    },
    error: (message) => void (this.socketError = message),
    close: (code, reason) => this.onClose(code, reason),
  };

  private onOpen(ws: WebSocketLike): void {
    this.opened = true;
    this.framed = ws.protocol === SUBPROTOCOL;
    this.wire.opened(this.framed);
    this.stream = null;
    this.stats.startConnection(performance.now(), this.framed && this.maxFps !== null);
    this.timers.fps = setInterval(() => this.onFpsTick(), this.opts.fpsInterval);
    if (!this.framed) return this.establish();
    if (this.maxFps !== null) this.sendJson({ type: 'setMaxFps', fps: this.maxFps });
    this.heartbeat.start();
    this.timers.hello = setTimeout(() => this.establish(), this.opts.helloTimeoutMs);
  }

  /** The connection is usable: hello received, first frame arrived, or a bare server opened. */
  private establish(): void {
    if (this.established) return;
    this.established = true;
    this.failure = null;
    clearTimeout(this.timers.hello);
    this.reconnector.connected(() => this.refreshSnapshot());
    this.setStatus(this.interactive.session.queued ? 'queued' : 'connected');
    this.emitSafe('open', { framed: this.framed === true, stream: this.stream, url: this.endpoints.current! });
  }

  private onClose(code: number, reason: string): void {
    const { opened, socketError } = this;
    this.endConnection();
    // A handshake that may have failed for want of a subprotocol: try the
    // same URL once without (see WireFormat).
    const url = this.endpoints.current!;
    if (this.wire.closed(opened, socketError)) return this.openSocketTo(url);
    const before = this.interactive.session.current;
    const ended = this.interactive.session.endedBy(code, reason);
    if (this.interactive.session.current !== before) this.emitSafe('session', this.interactive.session.current);
    const { error, failure } = ended ? { error: ended, failure: toFailure(ended, url, code) } : describeEnd({ url, code, reason, opened, socketError });
    if (failure) this.failure = failure;
    if (error) this.emitSafe('error', error);
    this.refreshSnapshot();
    this.emitSafe('close', { code, reason });
    this.retryOrStop(code, error);
  }

  /** The `url` function gave no URL: a failed attempt, as if one had been made and refused. */
  private noUrl(error: FrameStreamError): void {
    this.failure = toFailure(error, this.endpoints.current ?? '', null);
    this.emitSafe('error', error);
    this.retryOrStop(1006, error);
  }

  /** After an attempt or connection ended: schedules the next attempt, or settles. */
  private retryOrStop(code: number, error: FrameStreamError | null): void {
    if (this.ws !== null || this._status === 'disconnected') return; // a listener reconnected or disconnected
    if (code === 1000) return this.setStatus('disconnected');
    this.endpoints.failed();
    if (!this.opts.reconnect) return this.setStatus('error');
    const decision = this.reconnector.schedule(code, () => this.openSocket(code), error?.message ?? null);
    if ('error' in decision) {
      this.setStatus('error');
      if (decision.error) this.emitSafe('error', decision.error);
      return;
    }
    this.setStatus('reconnecting');
    this.refreshSnapshot(); // already reconnecting: the attempt count, the next URL, a url function's failure
    this.emitSafe('reconnecting', decision);
  }

  /** Forgets the current socket and stops its timers; the socket itself is left to the caller. */
  private endConnection(): void {
    this.ws = null;
    this.established = false;
    clearTimeout(this.timers.hello);
    clearInterval(this.timers.fps);
    this.timers = {};
    this.heartbeat.stop();
    this.reconnector.dropped();
    // Nothing about a connection that ended is live: no latency, no rate,
    // no server figures (the totals in the stats stay).
    this.stats.endConnection();
    this.interactive.endConnection();
    this.metrics = null;
    this.sourceMetrics = undefined;
    // Nobody says whether the producer is there until the next connection's metrics.
    if (this.source.clear()) this.emitSafe('source', null);
  }

  private onFpsTick(): void {
    this.emitSafe('fps', this.stats.sampleFps(performance.now()));
    this.refreshSnapshot();
  }

  /**
   * Nothing arrived, not even pongs: the peer is gone without a close (a
   * host that lost power, a NAT that forgot us). Waiting for TCP to notice
   * can take minutes, so the client abandons the socket and carries on as
   * after an abnormal close.
   */
  private dropDeadConnection(idleMs: number): void {
    if (!this.ws) return;
    closeQuietly(this.ws, 4000, 'idle timeout');
    this.emitSafe('error', new FrameStreamError('ERR_HEARTBEAT_TIMEOUT', `Nothing received from the server for over ${Math.round(idleMs)} ms`));
    this.onClose(1006, 'idle timeout');
  }

  private sendJson(message: object): boolean {
    return this.sendData(JSON.stringify(message));
  }

  /** Sends on the current framestream.v1 connection; `false` when none is open. */
  private sendData(data: string | Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || !this.framed) return false;
    ws.send(data);
    return true;
  }

  private forgetSession(): void {
    if (this.interactive.clear()) this.emitSafe('session', null);
  }

  /** What the message handlers in receive.ts may touch. */
  private readonly receiver: Receiver = {
    framed: () => this.framed === true,
    stats: () => this.stats,
    wantsLatency: () => this.listenerCount('latency') > 0,
    establish: () => this.establish(),
    pong: () => this.heartbeat.ponged(),
    emit: (event, ...args) => this.emitSafe(event, ...args),
    setStream: (stream) => {
      // Shared by every snapshot and stats object from now on: make it read-only.
      this.stream = Object.freeze({ ...stream });
      // Before `connected`, establish() refreshes the snapshot once for both.
      if (this.established) this.refreshSnapshot();
    },
    setSourceMetrics: (metrics) => void (this.sourceMetrics = metrics),
    setServerMetrics: (metrics) => {
      this.stats.recordServerCounts(metrics.skipped, metrics.capped);
      const merged = (this.metrics = withSourceMetrics(metrics, this.sourceMetrics));
      if (this.source.update(metrics, this.stats.clock.offsetMs)) this.emitSafe('source', this.source.current);
      this.emitSafe('metrics', merged);
      this.refreshSnapshot();
    },
    session: (msg) => {
      const changed = this.interactive.onSession(msg);
      // Status first: a `session` listener that sends a frame on `active` finds the client connected.
      if (msg.state !== 'ended') {
        if (this.established) this.setStatus(this.interactive.session.queued ? 'queued' : 'connected');
        else this.establish();
      }
      if (changed) this.emitSafe('session', this.interactive.session.current);
      this.refreshSnapshot();
    },
    inputAck: (seq) => this.interactive.onInputAck(seq),
    serverError: (code) => this.interactive.onServerError(code),
    answered: (inputSeq) => this.interactive.onFrame(inputSeq),
  };

  // ---- status and snapshot --------------------------------------------------

  private setStatus(status: ClientStatus): void {
    if (status === this._status) return;
    this._status = status;
    this.emitSafe('status', status);
    this.refreshSnapshot();
  }

  private refreshSnapshot(): void {
    this.store.update(this.buildSnapshot(), (err) => this.reportListenerError('subscribe', err));
  }

  private buildSnapshot(): ClientSnapshot {
    const stats = this.getStats();
    const { metrics, failure, source, interactive } = this;
    const url = this.endpoints.current;
    return { status: this._status, url, fps: stats.fps, latency: stats.latency, metrics, stats, failure, source: source.current, session: interactive.session.current };
  }
}
