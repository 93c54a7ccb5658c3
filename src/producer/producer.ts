import { decodeProducerInput, FrameStreamError, type FrameMetrics, type FrameStreamErrorCode } from '../protocol/index.js';
import { Connection, type ConnectionEnd } from './connection.js';
import { CreditGate } from './credits.js';
import { ProducerEmitter } from './emitter.js';
import { buildFrame, checkFrame, checkMetrics, type OutgoingFrame } from './frame.js';
import { readServerMessage, type ServerEvent } from './messages.js';
import { resolveProducerOptions, type ResolvedProducerOptions } from './options.js';
import { RetryPlan } from './retry.js';
import { SessionTable } from './sessions.js';
import type { FrameProducerOptions, ProducerFrame, ProducerSession, ProducerStatus, ProducerWelcome } from './types.js';

/**
 * Sends frames from a Node process to a stream's ingest endpoint
 * (`framestream.producer.v1`, docs/producers.md). It keeps to the server's
 * credits: with none in hand it holds only the newest frame and sends it
 * when one returns, so a model faster than the stream is paced by it and no
 * queue grows. It reconnects with backoff when the server restarts; a
 * refused token stops it with an `error`.
 *
 * @example
 * const producer = new FrameProducer({ url: 'ws://localhost:8080/ingest/model', token: process.env.PRODUCER_TOKEN });
 * producer.on('error', (err) => console.warn(err.code, err.message));
 * for (;;) {
 *   const t0 = performance.now();
 *   const pixels = await model.step(); // Float32Array, 512×512×3, 0-1
 *   producer.send({ data: pixels, width: 512, height: 512, channels: 3 }, { inferenceMs: performance.now() - t0 });
 * }
 *
 * @example
 * // Serving a `session: 'producer'` stream: each viewer's camera, filtered, back to that viewer.
 * const producer = new FrameProducer({ url, token, sessions: true });
 * producer.on('sessionInput', (session, input) => {
 *   producer.sendTo(session, filter(input.data, session.params), { inputSeq: input.seq });
 * });
 */
export class FrameProducer extends ProducerEmitter {
  private readonly o: ResolvedProducerOptions;
  private readonly gate = new CreditGate<OutgoingFrame>();
  private readonly table = new SessionTable<OutgoingFrame>();
  private readonly retries: RetryPlan;
  private conn: Connection | null = null;
  private admitted: ProducerWelcome | null = null;
  private _status: ProducerStatus = 'idle';
  private _watching = false;
  private nextFrameId = 1;
  /** The server sent an `error` on this connection: its close needs no second report. */
  private reported = false;
  private readonly closeWaiters: (() => void)[] = [];

  /** Throws a `TypeError`/`RangeError` naming the first bad option. */
  constructor(options: FrameProducerOptions) {
    super();
    this.o = resolveProducerOptions(options);
    this.retries = new RetryPlan(this.o.policy, this.o);
    if (this.o.autoConnect) this.connect();
  }

  /** Where the producer is: `idle`, `connecting`, `open` (admitted), `reconnecting` or `closed`. */
  get status(): ProducerStatus {
    return this._status;
  }

  /** Whether anyone watches the stream now; `false` while not connected. See the `demand` event. */
  get watching(): boolean {
    return this._watching;
  }

  /** The server's `welcome` while admitted, else `null`. */
  get welcome(): ProducerWelcome | null {
    return this.admitted;
  }

  /** Frames that may be sent now without waiting. */
  get credits(): number {
    return this.gate.available;
  }

  /** Frames sent on this connection and not yet credited back; never more than `welcome.credits`. */
  get inFlight(): number {
    return this.gate.inFlight;
  }

  /** Frames that never went out because a newer one replaced them while they waited. */
  get replaced(): number {
    return this.gate.replaced + this.table.replaced;
  }

  /** With `sessions: true`: the sessions this connection serves, by target. */
  get sessions(): ReadonlyMap<number, ProducerSession> {
    return this.table.view;
  }

  /**
   * Sends a frame: a JPEG file (forwarded to viewers byte for byte) or raw
   * pixels `{ data, width, height, channels }`, uint8 (0-255) or float32
   * (0-1), encoded once by the server. `metrics` (finite numbers such as
   * `inferenceMs`) reach every viewer with the frame.
   *
   * The frame is copied, so its buffer may be reused at once. Returns `true`
   * when it went on the wire now, `false` when it waits for a credit or a
   * connection (replacing any frame waiting before it) or the producer is
   * closed. A malformed frame throws a `TypeError`/`RangeError` naming the field.
   */
  send(frame: ProducerFrame, metrics?: FrameMetrics): boolean {
    const out = this.build(frame, metrics, 0);
    if (!out) return false;
    const now = this.gate.offer(out);
    if (now) this.transmit(now);
    return now !== undefined;
  }

  /**
   * Sends a frame to one session's viewer (and its spectators), with
   * `sessions: true`: like {@link send}, on the session's own credits, so
   * with none in hand only its newest frame waits. Name the input it
   * answers as `metrics.inputSeq`. Returns `false` as `send()` does, and
   * for a session that has ended (the end and the frame may cross).
   */
  sendTo(session: ProducerSession | number, frame: ProducerFrame, metrics?: FrameMetrics): boolean {
    if (!this.o.sessions) throw new TypeError('`sendTo()` needs a producer created with `sessions: true`');
    const target = typeof session === 'number' ? session : session?.target;
    if (typeof target !== 'number' || !Number.isInteger(target) || target < 1 || target > 0xffff_ffff) {
      throw new TypeError(`Expected \`session\` to be a session or its target (an integer >= 1), got \`${String(target)}\``);
    }
    const out = this.build(frame, metrics, target);
    if (!out) return false;
    const now = this.table.offer(target, out);
    if (now) this.transmit(now);
    return now !== undefined && now !== null;
  }

  /**
   * Ends a session it serves (`sessions: true`): its viewer is told
   * `reason` and not reconnected; `sessionEnd` follows as for any end.
   * Returns `false` when the session is not served here (any more).
   */
  endSession(session: ProducerSession | number, reason?: string): boolean {
    if (!this.o.sessions) throw new TypeError('`endSession()` needs a producer created with `sessions: true`');
    const target = typeof session === 'number' ? session : session?.target;
    if (reason !== undefined && typeof reason !== 'string') throw new TypeError(`Expected \`reason\` to be a string, got \`${typeof reason}\``);
    if (typeof target !== 'number' || !this.table.get(target) || !this.conn?.open) return false;
    this.conn.send(JSON.stringify({ type: 'sessionEnd', target, ...(reason !== undefined && { reason }) }));
    return true;
  }

  private build(frame: ProducerFrame, metrics: FrameMetrics | undefined, target: number): OutgoingFrame | undefined {
    const checked = checkFrame(frame);
    const checkedMetrics = checkMetrics(metrics);
    const max = this.admitted?.maxFrameBytes;
    if (max !== undefined && checked.size > max) {
      const what = checked.header.format === 'jpeg' ? 'bytes' : 'values';
      throw new RangeError(`Expected \`frame\` to be at most ${max} ${what} (the server's \`maxFrameBytes\`), got ${checked.size}`);
    }
    if (this._status === 'closed') return undefined;
    const out = buildFrame(checked, checkedMetrics, this.nextFrameId, target);
    this.nextFrameId = (this.nextFrameId + 1) >>> 0 || 1;
    return out;
  }

  /** Connects (again, after `close()`); does nothing while connected or connecting. */
  connect(): void {
    if (this._status !== 'idle' && this._status !== 'closed') return;
    this.retries.reset();
    this._status = 'connecting';
    this.dial();
  }

  /** Stops: closes the connection, cancels any retry and drops a waiting frame. Resolves once the socket has closed. */
  close(): Promise<void> {
    const wasOpen = this._status !== 'closed';
    this._status = 'closed';
    this.retries.reset();
    this.gate.clear();
    const conn = this.conn;
    if (!conn) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    if (wasOpen) conn.close(1000, 'producer closed');
    return closed;
  }

  private dial(): void {
    this.reported = false;
    try {
      const conn: Connection = new Connection(this.o.url, this.o.headers, this.o.handshakeTimeoutMs, this.o.WebSocket, {
        text: (data) => conn === this.conn && this.receive(data),
        binary: (data) => conn === this.conn && this.input(data),
        end: (end) => conn === this.conn && this.ended(end),
      });
      this.conn = conn;
    } catch (err) {
      // A custom `WebSocket` that throws in its constructor: a failed attempt like any other, reported from a timer.
      const reason = err instanceof Error ? err.message : String(err);
      setTimeout(() => this._status !== 'closed' && this.ended({ code: 1006, reason }), 0);
    }
  }

  private receive(text: string): void {
    let msg: ServerEvent;
    try {
      msg = readServerMessage(text);
    } catch (err) {
      this.emitSafe('error', err as FrameStreamError);
      // Without a usable welcome there are no credits: better to start over.
      if (!this.admitted) this.conn?.close(1002, 'bad welcome');
      return;
    }
    if (msg.type === 'welcome') this.welcomed(msg.welcome);
    else if (msg.type === 'demand') this.setWatching(msg.watching);
    else if (msg.type === 'error') {
      this.reported = true;
      this.emitSafe('error', msg.error);
    } else if (msg.type === 'credit') {
      if (!this.admitted) return;
      const next = msg.target === 0 ? this.gate.credit(msg.n) : this.table.credit(msg.target, msg.n);
      if (next) this.transmit(next);
      if (msg.target === 0) this.emitSafe('credit', this.gate.available);
    } else if (!this.o.sessions || !this.admitted) {
      this.report('ERR_PRODUCER_PROTOCOL', `The server sent \`${msg.type}\` to a producer that did not ask to serve sessions`);
    } else if (msg.type === 'sessionStart') {
      const { type: _, ...fields } = msg;
      this.emitSafe('sessionStart', this.table.start(fields, this.admitted.credits));
    } else if (msg.type === 'sessionParams') {
      const session = this.table.params(msg.target, msg.params);
      if (session) this.emitSafe('sessionParams', session, msg.params);
    } else {
      const session = this.table.end(msg.target);
      if (session) this.emitSafe('sessionEnd', session, msg.reason);
    }
  }

  private input(data: Uint8Array): void {
    if (!this.o.sessions) return this.report('ERR_PRODUCER_PROTOCOL', 'The server sent a binary message to a producer that did not ask to serve sessions');
    let decoded;
    try {
      decoded = decodeProducerInput(data);
    } catch (err) {
      return this.emitSafe('error', err as FrameStreamError);
    }
    const { header, payload } = decoded;
    const session = this.table.get(header.target);
    // Input for a session this connection has not heard of is a server bug; for one that just ended, a race.
    if (!session) return;
    const { seq, width, height, captureTime } = header;
    this.emitSafe('sessionInput', session, { seq, width, height, captureTime, data: payload });
  }

  private welcomed(welcome: ProducerWelcome): void {
    this.admitted = welcome;
    this._status = 'open';
    this.retries.admitted();
    const held = this.gate.open(welcome.credits);
    if (held) this.transmit(held);
    this.emitSafe('open', welcome);
    // An `open` listener may have closed it already.
    if (this._status === 'open') this.setWatching(welcome.watching);
  }

  private transmit(frame: OutgoingFrame): void {
    const max = this.admitted?.maxFrameBytes ?? Infinity;
    if (frame.size > max) {
      // Held from before a reconnect to a server with a lower limit.
      if (frame.target === 0) this.gate.credit(1);
      else this.table.refund(frame.target);
      return this.report('ERR_INVALID_FRAME', `Dropped frame ${frame.frameId}: size ${frame.size}, over the server's \`maxFrameBytes\` of ${max}`);
    }
    try {
      this.conn?.send(frame.message);
    } catch (cause) {
      this.emitSafe('error', new FrameStreamError('ERR_SOCKET', `Sending frame ${frame.frameId} failed`, { cause }));
    }
  }

  private ended(end: ConnectionEnd): void {
    this.conn = null;
    this.admitted = null;
    this.gate.shut();
    // The server tells the next connection of every session still open.
    for (const session of this.table.clear()) this.emitSafe('sessionEnd', session, 'The connection to the server ended');
    // After close() it only settles; otherwise the plan decides whether to retry.
    const { errors, reconnectInMs } =
      this._status === 'closed' ? { errors: [], reconnectInMs: null } : this.retries.after(end, this.reported, () => this.dial());
    this._status = reconnectInMs === null ? 'closed' : 'reconnecting';
    if (reconnectInMs === null) this.gate.clear();
    this.setWatching(false);
    for (const error of errors) this.emitSafe('error', error);
    const { code, reason, httpStatus } = end;
    this.emitSafe('close', { code, reason, ...(httpStatus !== undefined && { httpStatus }), reconnectInMs });
    for (const resolve of this.closeWaiters.splice(0)) resolve();
  }

  private setWatching(watching: boolean): void {
    if (watching === this._watching) return;
    this._watching = watching;
    this.emitSafe('demand', watching);
  }

  private report(code: FrameStreamErrorCode, message: string): void {
    this.emitSafe('error', new FrameStreamError(code, message));
  }
}
