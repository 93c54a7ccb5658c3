import type { EventEmitter } from 'eventemitter3';
import { FrameStreamClient, FrameStreamError } from 'framestream/client';
import type {
  ClientSnapshot,
  ClientStats,
  ClientStatus,
  FrameStreamClientOptions,
  FrameStreamErrorCode,
  FrameStreamEvents,
  InputFrameSource,
  SendFrameOptions,
  SendFrameResult,
} from 'framestream/client';
import { checkSendFrameOptions } from '../client/encode.js';
import { InputPacer } from '../client/input.js';
import { checkMaxFps, CLIENT_DEFAULTS, resolveUrl, serializeControlData, serializeParams } from '../client/options.js';
import { SafeEmitter } from '../client/safe-emitter.js';
import type { PaintHostProvider } from './renderer.js';
import { WorkerHost } from './worker-host.js';
import { releaseFrame, toWorkerFrame, type WorkerInputFrame } from './worker-input.js';
import type { FromWorker, ToWorker, WorkerClientOptions } from './worker-protocol.js';

/**
 * What a UI needs of a stream client: the public surface shared by
 * `FrameStreamClient` and {@link WorkerFrameStreamClient}.
 */
export interface StreamClient
  extends EventEmitter<FrameStreamEvents>,
    Pick<
      FrameStreamClient,
      | 'status'
      | 'url'
      | 'connect'
      | 'disconnect'
      | 'destroy'
      | 'setMaxFps'
      | 'send'
      | 'sendFrame'
      | 'setParams'
      | 'getStats'
      | 'subscribe'
      | 'getSnapshot'
    > {}

type EventName = EventEmitter.EventNames<FrameStreamEvents>;
type Listener<E extends EventName> = EventEmitter.EventListener<FrameStreamEvents, E>;

const FUNCTION_OPTIONS = ['WebSocket', 'reconnectPolicy', 'random'] as const;

/**
 * A `FrameStreamClient` whose WebSocket lives in a worker. Every message is
 * received on the worker's thread, and a {@link StreamCanvas} given this
 * client paints in that same worker, so the page's main thread does nothing
 * per frame: it gets status changes, the snapshot (about once a second) and
 * the events it listens for.
 *
 * Same methods and events as `FrameStreamClient`, with these differences:
 * - `frame` and `latency` events cross from the worker only while something
 *   listens for them, and a `frame` then costs a copy of the JPEG; listen to
 *   them only when needed.
 * - `getStats()` is as of the last snapshot (at most `fpsInterval` old).
 * - `setMaxFps`, `send` and `setParams` return whether a framestream.v1
 *   connection was up as last reported, since the worker sends asynchronously.
 * - `sendFrame` checks its argument, the session (as last reported) and
 *   the input FPS cap here, then moves the frame to the worker, which
 *   encodes it there and applies the in-flight limit: it returns `'sent'`
 *   for a frame handed over (the worker may still keep it waiting or
 *   replace it, and closes what it does not send), `'dropped'` or `false`.
 * - Options that are functions (`WebSocket`, `reconnectPolicy`, `random`,
 *   and `url` given as a function) cannot cross to a worker:
 *   {@link WorkerFrameStreamClient.start} returns `null` for them, as it
 *   does where workers are unavailable. An array of URLs crosses.
 *
 * Where the worker fails to start after all (a Content-Security-Policy
 * without `worker-src blob:`), it carries on with a `FrameStreamClient` on
 * the main thread, with no change visible to listeners.
 *
 * `useFrameStream` makes one of these where it can; use it directly without React.
 *
 * @example
 * const client = WorkerFrameStreamClient.start({ url: '/ws/test/', autoConnect: true })
 *   ?? new FrameStreamClient({ url: '/ws/test/', autoConnect: true });
 */
export class WorkerFrameStreamClient extends SafeEmitter implements PaintHostProvider {
  private host: WorkerHost | null;
  private inner: FrameStreamClient | null = null;
  private readonly options: WorkerClientOptions;
  private snapshot: ClientSnapshot;
  private readonly subscribers = new Set<() => void>();
  private _status: ClientStatus = 'disconnected';
  private wantConnected = false;
  private maxFps: number | null;
  private forwarding = { frame: false, latency: false };
  /** The input FPS cap, applied before a frame crosses to the worker. */
  private readonly pacer: InputPacer;
  private destroyed = false;

  /**
   * A client streaming in a new worker, or `null` where that cannot work
   * (no Worker or OffscreenCanvas, a worker refused at once, or an option
   * that is a function). Options are checked first, exactly as
   * `new FrameStreamClient(options)` checks them.
   */
  static start(options: FrameStreamClientOptions): WorkerFrameStreamClient | null {
    // The checks, the defaults and the first snapshot come from a real
    // client that never connects: one source of truth for all three.
    const probe = new FrameStreamClient({ ...options, autoConnect: false });
    const snapshot = probe.getSnapshot();
    probe.destroy();
    if (typeof options.url === 'function' || FUNCTION_OPTIONS.some((key) => options[key] !== undefined)) return null;
    const host = WorkerHost.start();
    return host ? new WorkerFrameStreamClient(host, options, snapshot) : null;
  }

  private constructor(host: WorkerHost, options: FrameStreamClientOptions, snapshot: ClientSnapshot) {
    super();
    const { autoConnect, ...rest } = options;
    // Resolved here: in the worker, a relative URL would resolve against
    // the worker's blob: URL rather than the page. (start() refused a function.)
    const url = options.url as string | readonly string[];
    this.options = { ...rest, url: typeof url === 'string' ? resolveUrl(url) : url.map((each) => resolveUrl(each)) };
    this.host = host;
    this.snapshot = snapshot;
    this.maxFps = checkMaxFps(options.maxFps);
    this.pacer = new InputPacer(options.maxInputFps ?? CLIENT_DEFAULTS.maxInputFps);
    host.onMessage((msg) => this.onWorkerMessage(msg));
    host.whenSettled(
      () => {},
      () => this.fallBack(),
    );
    this.post({ type: 'client-create', options: this.options });
    if (autoConnect) this.connect();
  }

  /** Current connection state; every change is also a `status` event. */
  get status(): ClientStatus {
    return this._status;
  }

  /** The URL of the current connection or attempt, as the worker last reported it (see `FrameStreamClient.url`). */
  get url(): string | null {
    return this.inner ? this.inner.url : this.snapshot.url;
  }

  /** The worker canvases are painted in; `null` once the client fell back to the main thread. */
  get paintHost(): WorkerHost | null {
    return this.inner || this.destroyed ? null : this.host;
  }

  connect(): void {
    if (this.destroyed) throw new Error('FrameStreamClient was destroyed; create a new one');
    this.wantConnected = true;
    if (this.inner) this.inner.connect();
    else this.post({ type: 'client-connect' });
  }

  disconnect(): void {
    this.wantConnected = false;
    if (this.inner) this.inner.disconnect();
    else this.post({ type: 'client-disconnect' });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.disconnect();
    this.destroyed = true;
    this.inner?.destroy();
    this.removeAllListeners();
    this.subscribers.clear();
    // Let the worker send its close frame (code 1000) before it is stopped.
    const host = this.host;
    this.host = null;
    if (host) setTimeout(() => host.terminate(), 1000);
  }

  setMaxFps(fps: number | null): boolean {
    this.maxFps = checkMaxFps(fps);
    if (this.inner) return this.inner.setMaxFps(this.maxFps);
    this.post({ type: 'client-set-max-fps', fps: this.maxFps });
    return this.framedAndConnected();
  }

  send(data: unknown): boolean {
    const json = serializeControlData(data);
    if (this.inner) return this.inner.send(JSON.parse(json));
    this.post({ type: 'client-send', json });
    return this.framedAndConnected();
  }

  sendFrame(frame: InputFrameSource, options?: SendFrameOptions): SendFrameResult {
    if (this.inner) return this.inner.sendFrame(frame, options);
    const opts = checkSendFrameOptions(options);
    const prepared = toWorkerFrame(frame);
    const session = this.snapshot.session;
    const release = () => 'frame' in prepared && releaseFrame(prepared.frame);
    if (!(this.host && this._status === 'connected' && session?.state === 'active' && !session.spectator)) {
      release();
      return false;
    }
    if (!this.pacer.due(performance.now())) {
      release();
      return 'dropped';
    }
    const sendOptions: SendFrameOptions = { ...opts, captureTime: opts.captureTime ?? Date.now() };
    const post = (out: WorkerInputFrame, transfer: Transferable[]) => {
      if (this.inner) return void this.inner.sendFrame(out, sendOptions);
      if (!this.host) return releaseFrame(out);
      this.post({ type: 'client-send-frame', frame: out, options: sendOptions }, transfer);
    };
    if ('frame' in prepared) {
      post(prepared.frame, prepared.transfer);
    } else {
      // Read now, as the canvas is at this moment; a canvas cannot cross.
      createImageBitmap(prepared.canvas).then(
        (bitmap) => post(bitmap, [bitmap]),
        (cause: unknown) => this.emitSafe('error', new FrameStreamError('ERR_ENCODE_FAILED', `Could not read the canvas: ${String(cause)}`)),
      );
    }
    return 'sent';
  }

  setParams(params: Record<string, unknown>): boolean {
    if (this.inner) return this.inner.setParams(params);
    serializeParams(params); // checked here: a TypeError belongs to the caller
    this.post({ type: 'client-set-params', params });
    const session = this.snapshot.session;
    return this.framedAndConnected() && !!session && session.state !== 'ended' && !session.spectator;
  }

  getStats(): ClientStats {
    if (this.inner) return this.inner.getStats();
    return { ...this.snapshot.stats, status: this._status };
  }

  subscribe = (listener: () => void): (() => void) => {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  };

  getSnapshot = (): ClientSnapshot => this.snapshot;

  // Per-frame events cross from the worker only while someone listens.
  override on<E extends EventName>(event: E, fn: Listener<E>, context?: unknown): this {
    return this.afterListenersChange(super.on(event, fn, context));
  }
  override addListener<E extends EventName>(event: E, fn: Listener<E>, context?: unknown): this {
    return this.afterListenersChange(super.addListener(event, fn, context));
  }
  override once<E extends EventName>(event: E, fn: Listener<E>, context?: unknown): this {
    return this.afterListenersChange(super.once(event, fn, context));
  }
  override off<E extends EventName>(event: E, fn?: Listener<E>, context?: unknown, once?: boolean): this {
    return this.afterListenersChange(super.off(event, fn, context, once));
  }
  override removeListener<E extends EventName>(event: E, fn?: Listener<E>, context?: unknown, once?: boolean): this {
    return this.afterListenersChange(super.removeListener(event, fn, context, once));
  }
  override removeAllListeners(event?: EventName): this {
    return this.afterListenersChange(super.removeAllListeners(event));
  }

  private afterListenersChange<T>(result: T): T {
    const wanted = { frame: this.listenerCount('frame') > 0, latency: this.listenerCount('latency') > 0 };
    if (wanted.frame !== this.forwarding.frame || wanted.latency !== this.forwarding.latency) {
      this.forwarding = wanted;
      this.post({ type: 'client-forward', events: wanted });
    }
    return result;
  }

  private post(msg: ToWorker, transfer: Transferable[] = []): void {
    if (!this.inner) this.host?.post(msg, transfer);
  }

  private framedAndConnected(): boolean {
    return (this._status === 'connected' || this._status === 'queued') && this.snapshot.stats.framed === true;
  }

  private onWorkerMessage(msg: FromWorker): void {
    if (this.destroyed || this.inner) return;
    if (msg.type === 'client-snapshot') {
      this.setSnapshot(msg.snapshot);
    } else if (msg.type === 'client-event') {
      if (msg.event === 'status') this._status = msg.args[0] as ClientStatus;
      (this.emitSafe as (event: string, ...args: unknown[]) => void)(msg.event, ...msg.args);
    } else if (msg.type === 'client-error') {
      this.emitSafe('error', new FrameStreamError(msg.code as FrameStreamErrorCode, msg.message));
    }
  }

  private setSnapshot(snapshot: ClientSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of [...this.subscribers]) {
      try {
        listener();
      } catch (err) {
        this.reportListenerError('subscribe', err);
      }
    }
  }

  /** The worker failed to start: carry on with a client on the main thread. */
  private fallBack(): void {
    if (this.destroyed || this.inner) return;
    const inner = new FrameStreamClient({ ...this.options, autoConnect: false, maxFps: this.maxFps ?? undefined });
    this.inner = inner;
    this.host = null;
    for (const event of ['status', 'open', 'frame', 'fps', 'latency', 'metrics', 'source', 'session', 'reconnecting', 'control', 'error', 'close'] as const) {
      inner.on(event, (...args: unknown[]) => {
        if (event === 'status') this._status = args[0] as ClientStatus;
        (this.emitSafe as (event: string, ...args: unknown[]) => void)(event, ...args);
      });
    }
    inner.subscribe(() => this.setSnapshot(inner.getSnapshot()));
    if (this.wantConnected) inner.connect();
  }
}
