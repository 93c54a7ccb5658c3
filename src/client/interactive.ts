import { FrameStreamError, type SessionMessage, type StreamInfo } from '../protocol/index.js';
import { checkSendFrameOptions, JpegEncoder, toInputItem, type InputFrameSource, type SendFrameOptions } from './encode.js';
import { InputFlow, InputPacer, type SendFrameResult } from './input.js';
import { serializeParams } from './options.js';
import { RoundTrip } from './round-trip.js';
import { SessionTracker } from './session.js';

/** What the session side of the client needs from the client. */
export interface InteractiveHost {
  /** Sends a binary message on the current framestream.v1 connection; `false` when none is open. */
  sendBinary(message: Uint8Array): boolean;
  /** Sends a text message likewise. */
  sendText(text: string): boolean;
  /** The connection is up and past its hello (status `connected`). */
  connected(): boolean;
  /** The stream's settings from the hello, if any. */
  stream(): StreamInfo | null;
  clockOffsetMs(): number | null;
  error(error: FrameStreamError): void;
}

export interface InteractiveOptions {
  maxInputInFlight: number;
  maxInputFps: number;
  latencyWindow: number;
}

/** Server errors that mean an input frame was refused, and so will never be acknowledged. */
const INPUT_REFUSALS = new Set(['ERR_INPUT_INVALID', 'ERR_INPUT_TOO_LARGE', 'ERR_NOT_IN_SESSION']);

/**
 * The client's side of an interactive stream (docs/sessions.md): the
 * session's state and resume token, input frames up with flow control and
 * an FPS cap, the parameters, and the round trip from capture to answer.
 * `FrameStreamClient` owns one and hands it the session messages.
 */
export class Interactive {
  readonly session = new SessionTracker();
  readonly roundTrip: RoundTrip;
  private readonly flow: InputFlow;
  private readonly pacer: InputPacer;
  private readonly encoder = new JpegEncoder();
  /** The last `setParams`, sent again on every connection once the server placed this viewer. */
  private params: string | null = null;
  /** The server said queued or active on this connection: it takes params now. */
  private placed = false;

  constructor(
    o: InteractiveOptions,
    private readonly host: InteractiveHost,
    private readonly now: () => number = () => performance.now(),
    private readonly wallClock: () => number = () => Date.now(),
  ) {
    this.roundTrip = new RoundTrip(o.latencyWindow);
    this.pacer = new InputPacer(o.maxInputFps);
    this.flow = new InputFlow(o.maxInputInFlight, {
      send: (message) => host.sendBinary(message),
      sent: (seq, captureTime) => this.roundTrip.sent(seq, captureTime),
      failed: (cause) => {
        const message = cause instanceof Error ? cause.message : String(cause);
        host.error(new FrameStreamError('ERR_ENCODE_FAILED', `Could not encode an input frame: ${message}`, { cause }));
      },
    });
  }

  /** Input frames sent and not acknowledged. */
  get inputInFlight(): number {
    return this.flow.unacknowledged;
  }

  /** See `FrameStreamClient.sendFrame`. */
  sendFrame(frame: InputFrameSource, options?: SendFrameOptions): SendFrameResult {
    const opts = checkSendFrameOptions(options);
    const captureTime = opts.captureTime ?? Date.now();
    // Checked (and bytes copied) before anything is refused: a wrong
    // argument throws whatever the session is doing.
    const item = toInputItem(frame, opts, captureTime, this.encoder, this.inputSize());
    if (!(this.host.connected() && this.session.accepting)) {
      item.release();
      return false;
    }
    if (!this.pacer.due(this.now())) {
      item.release();
      return 'dropped';
    }
    return this.flow.offer(item);
  }

  /** See `FrameStreamClient.setParams`. Sent at once when the server has placed this viewer, else on the next connection that it does. */
  setParams(params: Record<string, unknown>): boolean {
    this.params = serializeParams(params);
    return this.sendParams();
  }

  /** A `session` message; returns whether the session's state changed. */
  onSession(msg: SessionMessage): boolean {
    const changed = this.session.update(msg, this.host.clockOffsetMs());
    if (msg.state === 'ended') {
      this.placed = false;
      this.flow.reset();
    } else if (!this.placed) {
      // First word on this connection: a resumed session keeps its params
      // on the server, but a new one (the token had expired) has none.
      this.placed = true;
      this.sendParams();
    }
    return changed;
  }

  onInputAck(seq: number): void {
    this.flow.ack(seq);
  }

  /** A server `error` message: an input refusal frees its place in flight. */
  onServerError(code: string): void {
    if (INPUT_REFUSALS.has(code)) this.flow.refused();
  }

  /**
   * An output frame arrived: which input it answers and, if it is the
   * first answer to one of ours, the round trip. Both ends are read from
   * `Date.now()`, the clock apps stamp camera frames with: the
   * `performance` clock the latencies use can fall behind it by the time
   * a laptop slept, which would skew a capture time taken from the other.
   */
  onFrame(inputSeq: unknown): { inputSeq: number | null; roundTripMs: number | null } {
    if (typeof inputSeq !== 'number' || !Number.isFinite(inputSeq)) return { inputSeq: null, roundTripMs: null };
    return { inputSeq, roundTripMs: this.roundTrip.answered(inputSeq, this.wallClock()) };
  }

  /** The connection ended: nothing in flight will be acknowledged; the session itself may come back. */
  endConnection(): void {
    this.placed = false;
    this.flow.reset();
    this.roundTrip.endConnection();
  }

  /** `disconnect()`: forget the session, its token and its inputs. Returns whether there was a session. */
  clear(): boolean {
    this.placed = false;
    this.flow.reset();
    this.roundTrip.clear();
    return this.session.clear();
  }

  /**
   * The size pixels are encoded at by default: the stream's, for an
   * interactive stream (the model's input is its output size, as for
   * img2img), else the source's own.
   */
  private inputSize(): { width: number; height: number } | null {
    const stream = this.host.stream();
    return stream && stream.source === 'session' && stream.width > 0 && stream.height > 0 ? { width: stream.width, height: stream.height } : null;
  }

  private sendParams(): boolean {
    const session = this.session.current;
    if (this.params === null || !this.placed || session === null || session.spectator) return false;
    return this.host.sendText(this.params);
  }
}
