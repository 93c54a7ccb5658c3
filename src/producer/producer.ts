import { Reconnector } from '../client/reconnect.js';
import { FrameStreamError, parseIngestServerMessage, type FrameMetrics, type FrameStreamErrorCode, type IngestServerMessage } from '../protocol/index.js';
import { Connection, type ConnectionEnd } from './connection.js';
import { CreditGate } from './credits.js';
import { ProducerEmitter } from './emitter.js';
import { buildFrame, checkFrame, checkMetrics, type OutgoingFrame } from './frame.js';
import { resolveProducerOptions, type ResolvedProducerOptions } from './options.js';
import { judgeEnd } from './outcome.js';
import type { FrameProducerOptions, ProducerFrame, ProducerStatus, ProducerWelcome } from './types.js';

/** A connection must stay up this long before the backoff starts again from its first delay. */
const STABLE_AFTER_MS = 5000;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

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
 */
export class FrameProducer extends ProducerEmitter {
  private readonly o: ResolvedProducerOptions;
  private readonly gate = new CreditGate<OutgoingFrame>();
  private readonly reconnector: Reconnector;
  private conn: Connection | null = null;
  private admitted: ProducerWelcome | null = null;
  private _status: ProducerStatus = 'idle';
  private _watching = false;
  private nextFrameId = 1;
  /** The least delay before the next retry, set by why the last connection ended. */
  private minDelayMs = 0;
  /** The server sent an `error` on this connection: its close needs no second report. */
  private reported = false;
  /** One `ERR_PRODUCER_BUSY` per run of 4409s, not one per retry. */
  private busyReported = false;
  private readonly closeWaiters: (() => void)[] = [];

  /** Throws a `TypeError`/`RangeError` naming the first bad option. */
  constructor(options: FrameProducerOptions) {
    super();
    this.o = resolveProducerOptions(options);
    const base = this.o.policy;
    const policy = (ctx: Parameters<typeof base>[0]) => {
      const delay = base(ctx);
      return delay === null ? null : Math.max(delay, this.minDelayMs);
    };
    const limits = { stopOnCloseCodes: [], maxConnectAttempts: Infinity, maxRetryTimeMs: Infinity };
    this.reconnector = new Reconnector(policy, STABLE_AFTER_MS, limits, this.o.url);
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
    return this.gate.replaced;
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
    const checked = checkFrame(frame);
    const checkedMetrics = checkMetrics(metrics);
    const max = this.admitted?.maxFrameBytes;
    if (max !== undefined && checked.size > max) {
      const what = checked.header.format === 'jpeg' ? 'bytes' : 'values';
      throw new RangeError(`Expected \`frame\` to be at most ${max} ${what} (the server's \`maxFrameBytes\`), got ${checked.size}`);
    }
    if (this._status === 'closed') return false;
    const out = buildFrame(checked, checkedMetrics, this.nextFrameId);
    this.nextFrameId = (this.nextFrameId + 1) >>> 0 || 1;
    const now = this.gate.offer(out);
    if (now) this.transmit(now);
    return now !== undefined;
  }

  /** Connects (again, after `close()`); does nothing while connected or connecting. */
  connect(): void {
    if (this._status !== 'idle' && this._status !== 'closed') return;
    this.reconnector.reset();
    this.busyReported = false;
    this.minDelayMs = 0;
    this._status = 'connecting';
    this.dial();
  }

  /** Stops: closes the connection, cancels any retry and drops a waiting frame. Resolves once the socket has closed. */
  close(): Promise<void> {
    const wasOpen = this._status !== 'closed';
    this._status = 'closed';
    this.reconnector.reset();
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
        binary: () => conn === this.conn && this.report('ERR_PRODUCER_PROTOCOL', 'The server sent a binary message, which v1 does not have'),
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
    let msg: IngestServerMessage;
    try {
      msg = parseIngestServerMessage(text);
    } catch (err) {
      this.emitSafe('error', err as FrameStreamError);
      return;
    }
    if (msg.type === 'welcome') this.welcomed(msg);
    else if (msg.type === 'credit') {
      if (!this.admitted) return;
      if (!isCount(msg.n)) return this.report('ERR_PRODUCER_PROTOCOL', `A \`credit\` message needs a count n >= 1, got ${JSON.stringify(msg.n)}`);
      const next = this.gate.credit(msg.n);
      if (next) this.transmit(next);
      this.emitSafe('credit', this.gate.available);
    } else if (msg.type === 'demand') this.setWatching(msg.watching === true);
    else {
      this.reported = true;
      this.report(msg.code as FrameStreamErrorCode, `The server says: ${msg.message}`);
    }
  }

  private welcomed(msg: Extract<IngestServerMessage, { type: 'welcome' }>): void {
    if (!isCount(msg.credits)) {
      this.report('ERR_PRODUCER_PROTOCOL', `The server's \`welcome\` needs credits >= 1, got ${JSON.stringify(msg.credits)}`);
      this.conn?.close(1002, 'bad welcome');
      return;
    }
    const { credits, maxFrameBytes, stream, watching } = msg;
    this.admitted = { credits, maxFrameBytes: isCount(maxFrameBytes) ? maxFrameBytes : Infinity, stream, watching: watching === true };
    this._status = 'open';
    this.busyReported = false;
    this.minDelayMs = 0;
    this.reconnector.connected(() => {});
    const held = this.gate.open(credits);
    if (held) this.transmit(held);
    this.emitSafe('open', this.admitted);
    this.setWatching(watching === true);
  }

  private transmit(frame: OutgoingFrame): void {
    const max = this.admitted?.maxFrameBytes ?? Infinity;
    if (frame.size > max) {
      // Held from before a reconnect to a server with a lower limit.
      this.gate.credit(1);
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
    this.reconnector.dropped();
    const closing = this._status === 'closed';
    const verdict = closing ? { stop: true, minDelayMs: 0 } : judgeEnd(end, { busyRetryMs: this.o.busyRetryMs, url: this.o.url, reported: this.reported });
    const errors: FrameStreamError[] = [];
    if (verdict.error && !(verdict.error.code === 'ERR_PRODUCER_BUSY' && this.busyReported)) errors.push(verdict.error);
    this.busyReported = verdict.error?.code === 'ERR_PRODUCER_BUSY';
    let reconnectInMs: number | null = null;
    if (!verdict.stop && this.o.reconnect) {
      this.minDelayMs = verdict.minDelayMs;
      const decision = this.reconnector.schedule(end.code, () => this.dial(), end.reason || null);
      if ('delayMs' in decision) reconnectInMs = decision.delayMs;
      else if (decision.error) errors.push(decision.error);
    }
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
