import { EventEmitter } from 'eventemitter3';
import { FrameStreamError, SUBPROTOCOL, wallClockMs } from '../protocol/index.js';
import type { FrameMetrics, ServerMetrics, StreamInfo } from '../protocol/index.js';
import { handleMessage, type Receiver } from './receive.js';
import { checkMaxFps, resolveClientOptions, type ResolvedClientOptions } from './options.js';
import { SnapshotStore } from './snapshot.js';
import { StreamStats } from './stats.js';
import type {
  ClientSnapshot,
  ClientStats,
  ClientStatus,
  FrameStreamClientOptions,
  FrameStreamEvents,
  WebSocketLike,
} from './types.js';

const OPEN = 1;
// `ws` refuses a handshake in which the server picks no subprotocol although
// the client offered one; browsers accept it. This is its message for that.
const WS_NO_SUBPROTOCOL = 'Server sent no subprotocol';

type Timer = ReturnType<typeof setTimeout>;

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
export class FrameStreamClient extends EventEmitter<FrameStreamEvents> {
  private readonly opts: ResolvedClientOptions;
  private readonly stats: StreamStats;
  private readonly store: SnapshotStore;
  private _status: ClientStatus = 'disconnected';
  private ws: WebSocketLike | null = null;
  /** The current connection reached `connected` (hello, first frame or hello timeout). */
  private established = false;
  private framed: boolean | null = null;
  private stream: StreamInfo | null = null;
  private metrics: (ServerMetrics & { source?: FrameMetrics }) | null = null;
  private sourceMetrics: FrameMetrics | undefined;
  private maxFps: number | null;
  private destroyed = false;
  /** `mode: 'auto'` met a server that speaks no subprotocol: stop offering one. */
  private bare: boolean;
  private bareRetryPending = false;
  private attempt = 0;
  private outageStartedAt: number | null = null;
  private pingId = 0;
  private retryTimer: Timer | null = null;
  private stableTimer: Timer | null = null;
  private helloTimer: Timer | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private fpsTimer: ReturnType<typeof setInterval> | null = null;

  /** Checks every option at once and throws a `TypeError`/`RangeError` naming the first bad one. */
  constructor(options: FrameStreamClientOptions) {
    super();
    this.opts = resolveClientOptions(options);
    this.maxFps = this.opts.maxFps;
    this.bare = this.opts.mode === 'bare';
    this.stats = new StreamStats(this.opts.latencyWindow);
    this.store = new SnapshotStore(this.buildSnapshot());
    if (this.opts.autoConnect) this.connect();
  }

  /** Current connection state; every change is also a `status` event. */
  get status(): ClientStatus {
    return this._status;
  }

  /**
   * Opens the connection. Does nothing while connecting, connected or
   * waiting to reconnect; after `error` (reconnects given up) it starts
   * afresh. Throws after `destroy()`.
   */
  connect(): void {
    if (this.destroyed) throw new Error('FrameStreamClient was destroyed; create a new one');
    if (this._status !== 'disconnected' && this._status !== 'error') return;
    this.attempt = 0;
    this.outageStartedAt = null;
    this.setStatus('connecting');
    this.openSocket();
  }

  /**
   * Closes the connection with code 1000 and stops reconnecting. Harmless
   * when already disconnected.
   */
  disconnect(): void {
    this.clearTimer('retryTimer');
    const ws = this.ws;
    if (ws) {
      this.endConnection();
      // Closing a `ws` socket that is still connecting emits an `error`
      // event, which `ws` throws when nobody listens; keep a listener.
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => {};
      ws.close(1000, 'client disconnect');
      this.emitSafe('close', { code: 1000, reason: 'client disconnect' });
    }
    this.attempt = 0;
    this.outageStartedAt = null;
    this.bareRetryPending = false;
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
    return this.sendJson({ type: 'setMaxFps', fps: this.maxFps });
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
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (cause) {
      throw new TypeError(`Expected \`data\` to be JSON-serialisable, got an error: ${(cause as Error).message}`, { cause });
    }
    if (json === undefined) throw new TypeError(`Expected \`data\` to be JSON-serialisable, got \`${typeof data}\``);
    return this.sendText(`{"type":"control","data":${json}}`);
  }

  /** Counts and figures as of now (a new object on every call). */
  getStats(): ClientStats {
    return {
      status: this._status,
      framesReceived: this.stats.framesReceived,
      framesDropped: this.stats.framesDropped,
      bytesReceived: this.stats.bytesReceived,
      fps: this.stats.fps,
      latency: this.stats.latencyPercentiles(),
      clockOffsetMs: this.stats.clock.offsetMs,
      reconnectAttempt: this.attempt,
      stream: this.stream,
      framed: this.framed,
    };
  }

  /**
   * Registers `listener` to be called whenever {@link getSnapshot} changes;
   * returns the unsubscribe function. Shaped for React's `useSyncExternalStore`.
   */
  subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  /**
   * An immutable {@link ClientSnapshot}, the same object until a visible
   * figure changes: on status changes, once per `fpsInterval` and on server
   * metrics, never once per frame.
   */
  getSnapshot = (): ClientSnapshot => this.store.get();

  // ---- connection lifecycle -------------------------------------------------

  private openSocket(): void {
    let ws: WebSocketLike;
    try {
      ws = this.bare ? new this.opts.WebSocket(this.opts.url) : new this.opts.WebSocket(this.opts.url, SUBPROTOCOL);
    } catch (cause) {
      // Only a URL the runtime refuses gets here; retrying cannot help.
      this.emitSafe('error', new FrameStreamError('ERR_SOCKET', `Cannot open a WebSocket to ${this.opts.url}`, { cause }));
      this.setStatus('error');
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.established = false;
    // Handlers check that their socket is still the current one: a socket
    // replaced by a reconnect must not touch the new connection's state.
    ws.onopen = () => this.ws === ws && this.onOpen(ws);
    ws.onmessage = (ev: { data: unknown }) => this.ws === ws && handleMessage(this.receiver, ev.data);
    ws.onerror = (ev: { message?: unknown }) => this.ws === ws && this.onSocketError(ev);
    ws.onclose = (ev: { code: number; reason: string }) => this.ws === ws && this.onClose(ev.code, ev.reason);
  }

  private onOpen(ws: WebSocketLike): void {
    this.framed = ws.protocol === SUBPROTOCOL;
    this.stream = null;
    this.stats.startConnection(performance.now());
    this.fpsTimer = setInterval(() => this.onFpsTick(), this.opts.fpsInterval);
    if (!this.framed) return this.establish();
    if (this.maxFps !== null) this.sendJson({ type: 'setMaxFps', fps: this.maxFps });
    this.sendPing();
    this.pingTimer = setInterval(() => this.sendPing(), this.opts.pingInterval);
    this.helloTimer = setTimeout(() => this.establish(), this.opts.helloTimeoutMs);
  }

  /** The connection is usable: hello received, first frame arrived, or a bare server opened. */
  private establish(): void {
    if (this.established) return;
    this.established = true;
    this.clearTimer('helloTimer');
    // Only a connection that stays up this long resets the attempt counter,
    // so a server that accepts and drops at once still sees growing delays.
    this.stableTimer = setTimeout(() => {
      this.stableTimer = null;
      this.attempt = 0;
      this.outageStartedAt = null;
      this.refreshSnapshot();
    }, this.opts.stableAfterMs);
    this.setStatus('connected');
    this.emitSafe('open', { framed: this.framed === true, stream: this.stream });
  }

  private onSocketError(ev: { message?: unknown }): void {
    const detail = typeof ev?.message === 'string' && ev.message ? ev.message : '';
    if (detail === WS_NO_SUBPROTOCOL && this.opts.mode === 'auto' && !this.bare) {
      this.bareRetryPending = true;
      return;
    }
    this.emitSafe('error', new FrameStreamError('ERR_SOCKET', `WebSocket error${detail ? `: ${detail}` : ''}`));
  }

  private onClose(code: number, reason: string): void {
    this.endConnection();
    if (this.bareRetryPending) {
      // The server speaks plain WebSocket: ask again without the subprotocol,
      // at once. Not a drop the app needs to hear about.
      this.bareRetryPending = false;
      this.bare = true;
      return this.openSocket();
    }
    this.emitSafe('close', { code, reason });
    if (this.ws !== null || this._status === 'disconnected') return; // a listener reconnected or disconnected
    if (code === 1000) return this.setStatus('disconnected');
    if (!this.opts.reconnect) return this.setStatus('error');
    this.scheduleReconnect(code);
  }

  private scheduleReconnect(closeCode: number): void {
    this.attempt++;
    const now = Date.now();
    this.outageStartedAt ??= now;
    let delay: number | null;
    try {
      delay = this.opts.policy({ attempt: this.attempt, closeCode, elapsedMs: now - this.outageStartedAt });
    } catch (cause) {
      this.emitSafe('error', new FrameStreamError('ERR_HOOK_FAILED', '`reconnectPolicy` threw', { cause }));
      return this.setStatus('error');
    }
    if (delay === null || typeof delay !== 'number' || !(delay < Infinity)) {
      this.setStatus('error');
      this.emitSafe(
        'error',
        new FrameStreamError('ERR_RECONNECT_EXHAUSTED', `Gave up reconnecting to ${this.opts.url} after ${this.attempt - 1} attempts`),
      );
      return;
    }
    const delayMs = Math.max(0, delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.openSocket();
    }, delayMs);
    this.setStatus('reconnecting');
    this.emitSafe('reconnecting', { attempt: this.attempt, delayMs });
  }

  /** Forgets the current socket and stops its timers; the socket itself is left to the caller. */
  private endConnection(): void {
    this.ws = null;
    this.established = false;
    for (const t of ['helloTimer', 'stableTimer', 'pingTimer', 'fpsTimer'] as const) this.clearTimer(t);
    this.stats.endConnection();
  }

  private clearTimer(name: 'retryTimer' | 'stableTimer' | 'helloTimer' | 'pingTimer' | 'fpsTimer'): void {
    const t = this[name];
    if (t !== null) {
      clearTimeout(t);
      clearInterval(t);
      this[name] = null;
    }
  }

  private onFpsTick(): void {
    this.emitSafe('fps', this.stats.sampleFps(performance.now()));
    this.refreshSnapshot();
  }

  private sendPing(): void {
    this.sendJson({ type: 'ping', id: ++this.pingId, clientTime: wallClockMs() });
  }

  private sendJson(message: object): boolean {
    return this.sendText(JSON.stringify(message));
  }

  private sendText(text: string): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN || !this.framed) return false;
    ws.send(text);
    return true;
  }

  // ---- what the message handlers in receive.ts may touch --------------------

  private readonly receiver: Receiver = {
    framed: () => this.framed === true,
    stats: () => this.stats,
    wantsLatency: () => this.listenerCount('latency') > 0,
    establish: () => this.establish(),
    emit: (event, ...args) => this.emitSafe(event, ...args),
    setStream: (stream: StreamInfo) => {
      this.stream = stream;
      // Before `connected`, establish() refreshes the snapshot once for both.
      if (this.established) this.refreshSnapshot();
    },
    setSourceMetrics: (metrics: FrameMetrics) => {
      this.sourceMetrics = metrics;
    },
    setServerMetrics: (metrics: ServerMetrics) => {
      this.stats.recordServerSkipped(metrics.skipped);
      // The index signature of ServerMetrics admits only numbers, so the
      // intersection with `source` needs the cast; readers index known keys.
      const merged = { ...metrics, source: this.sourceMetrics } as ServerMetrics & { source?: FrameMetrics };
      if (!merged.source) delete merged.source;
      this.metrics = merged;
      this.emitSafe('metrics', merged);
      this.refreshSnapshot();
    },
  };

  // ---- events and snapshot --------------------------------------------------

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
    return { status: this._status, fps: stats.fps, latency: stats.latency, metrics: this.metrics, stats };
  }

  /**
   * Emits without letting a listener's exception unwind into the socket
   * callback that called us: the client's own state is already updated, and
   * the exception goes to `error` listeners (code `ERR_HOOK_FAILED`), or is
   * rethrown on its own stack when there are none, so it is never lost.
   */
  private emitSafe<E extends keyof FrameStreamEvents>(event: E, ...args: EventEmitter.EventArgs<FrameStreamEvents, E>): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.reportListenerError(event, err);
    }
  }

  private reportListenerError(source: string, err: unknown): void {
    if (source !== 'error' && this.listenerCount('error') > 0) {
      const message = `A \`${source}\` listener threw: ${err instanceof Error ? err.message : String(err)}`;
      this.emitSafe('error', new FrameStreamError('ERR_HOOK_FAILED', message, { cause: err }));
    } else {
      setTimeout(() => {
        throw err;
      }, 0);
    }
  }
}
