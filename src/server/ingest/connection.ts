import type { RawData, WebSocket } from 'ws';
import {
  decodeProducerFrame,
  FrameStreamError,
  PRODUCER_CLOSE_CODES,
  type DecodedProducerFrame,
  type IngestServerMessage,
} from '../../protocol/index.js';
import { validateFrame, type FrameLimits, type ValidFrame } from '../sources/frames.js';

export interface ProducerConnectionOptions {
  limits: FrameLimits;
  credits: number;
  /**
   * A validated frame for `target` (0: the stream's viewers); `done` must be
   * called once the stream is through with it. Returns an error for a target
   * the producer may not send to, which closes it (4400); `false` drops the
   * frame (a session that has just ended).
   */
  frame(target: number, frame: ValidFrame, metrics: DecodedProducerFrame['header']['metrics'], done: () => void): FrameStreamError | boolean;
  /** A text message, for a producer serving sessions; returns an error that closes it (4400). Without it, text is an error. */
  text?(text: string): FrameStreamError | undefined;
  reportError(err: FrameStreamError): void;
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

/**
 * One connected producer: reads its frames (checking every header against
 * the bytes before trusting it), hands them to the stream, and returns a
 * credit for each once the stream is through with it.
 */
export class ProducerConnection {
  /** Frames sent by the producer and not yet given back as credit. */
  inFlight = 0;
  received = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly o: ProducerConnectionOptions,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  send(msg: IngestServerMessage): void {
    if (this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
  }

  sendBinary(bytes: Uint8Array): void {
    if (this.ws.readyState === 1) this.ws.send(bytes);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Closes the producer for breaking the protocol, and tells the app. */
  refuse(err: FrameStreamError, code: number = PRODUCER_CLOSE_CODES.protocolError): void {
    this.o.reportError(err);
    if (this.ws.readyState !== 1) return;
    // The whole message first: a close reason holds only 123 bytes.
    this.send({ type: 'error', code: err.code, message: err.message });
    this.ws.close(code, err.message.slice(0, 120));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (!isBinary) {
      const err = this.o.text
        ? this.o.text(toBuffer(data).toString('utf8'))
        : new FrameStreamError('ERR_PRODUCER_PROTOCOL', 'A producer sends binary frames only; it sent text');
      return err && this.refuse(err);
    }
    let decoded: DecodedProducerFrame;
    let frame: ValidFrame;
    try {
      decoded = decodeProducerFrame(toBuffer(data));
      // The message's buffer is ours alone: no copy for JPEG or 8-bit frames.
      frame = validateFrame(asPushFrame(decoded), this.o.limits, 'producer frame', true);
    } catch (cause) {
      const err =
        cause instanceof FrameStreamError
          ? cause
          : new FrameStreamError('ERR_INVALID_FRAME', cause instanceof Error ? cause.message : String(cause), { cause });
      return this.refuse(err);
    }
    const { target, frameId } = decoded.header;
    this.received++;
    this.inFlight++;
    let freed = false;
    const done = () => {
      if (freed) return;
      freed = true;
      this.inFlight--;
      this.send(target === 0 ? { type: 'credit', n: 1, frameId } : { type: 'credit', n: 1, frameId, target });
    };
    const taken = this.o.frame(target, frame, decoded.header.metrics, done);
    if (taken === true) return;
    freed = true; // no credit: the frame went nowhere
    this.inFlight--;
    if (taken !== false) this.refuse(taken);
  }
}

/** The decoded payload as the frame `push()` would take, for the same validation. */
function asPushFrame({ header, payload }: DecodedProducerFrame): unknown {
  if (header.format === 'jpeg') return payload;
  if (header.format === 'uint8') return { data: payload, width: header.width, height: header.height, channels: header.channels };
  // A Float32Array view needs 4-byte alignment; the payload's offset follows the metrics.
  const aligned = payload.byteOffset % 4 === 0 ? payload : new Uint8Array(payload); // a copy at offset 0
  const data = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  return { data, width: header.width, height: header.height, channels: header.channels };
}
