import type { RawData } from 'ws';
import {
  FrameStreamError,
  parseClientMessage,
  wallClockMs,
  type ClientMessage,
  type FrameStreamErrorCode,
} from '../../protocol/index.js';
import type { RateLimit } from './token-bucket.js';
import type { Viewer } from './viewer.js';

/**
 * One kind of message a viewer may send, with limits of its own: a chatty
 * kind (pings) cannot use up the budget of a rare one (app control), and a
 * kind that carries images (upstream frames) can be allowed more bytes than
 * a JSON command.
 */
export interface MessageKind<M> {
  /** Largest message of this kind, bytes. */
  maxBytes: number;
  /** Per viewer. */
  rate: RateLimit;
  /** The code a message over `maxBytes` is refused with. @default 'ERR_CONTROL_TOO_LARGE' */
  tooLarge?: FrameStreamErrorCode;
  handle(viewer: Viewer, message: M): void;
}

type TextKinds = { [T in ClientMessage['type']]?: MessageKind<Extract<ClientMessage, { type: T }>> };

/** Where message handling reports a viewer's misbehaviour (sampled by the stream, never `error`). */
export type ViewerFault = (viewer: Viewer, err: FrameStreamError) => void;

// Messages that could not be read at all share one bucket, so a viewer
// sending garbage is cut off as fast as one flooding a real kind.
const UNREADABLE = 'unreadable';

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

/**
 * What viewers may send, kind by kind. Text messages are JSON with a `type`
 * (docs/protocol.md); a binary kind is named by the message's first byte.
 * Bad input is answered with an `error` message and reported as a viewer
 * fault; only rate abuse ends the connection (a message over the largest
 * kind's size is closed with 1009 by `ws` itself, before it gets here).
 */
export class MessageRegistry {
  private readonly text: TextKinds = {};
  private readonly binary = new Map<number, MessageKind<Buffer>>();

  constructor(
    private readonly fault: ViewerFault,
    private readonly unreadableRate: RateLimit,
  ) {}

  /** Registers (or replaces) the handler of a JSON message type. */
  onText<T extends ClientMessage['type']>(type: T, kind: MessageKind<Extract<ClientMessage, { type: T }>>): this {
    (this.text as Record<string, unknown>)[type] = kind;
    return this;
  }

  /** Registers (or replaces) the handler of binary messages whose first byte is `id`. */
  onBinary(id: number, kind: MessageKind<Buffer>): this {
    this.binary.set(id, kind);
    return this;
  }

  /** The largest message any kind accepts: what the socket itself should allow. */
  get maxPayload(): number {
    let max = 0;
    for (const k of Object.values(this.text)) max = Math.max(max, k?.maxBytes ?? 0);
    for (const k of this.binary.values()) max = Math.max(max, k.maxBytes);
    return max;
  }

  dispatch(viewer: Viewer, data: RawData, isBinary: boolean): void {
    viewer.alive = true;
    // A plain WebSocket viewer has no control channel: what it sends is
    // ignored, but still counted against the rate, so a flood is cut off.
    if (!viewer.framestream) return void this.admit(viewer, UNREADABLE, this.unreadableRate);
    const bytes = toBuffer(data);
    if (isBinary) return this.dispatchBinary(viewer, bytes);
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(bytes.toString('utf8'));
    } catch (err) {
      if (!this.admit(viewer, UNREADABLE, this.unreadableRate)) return;
      return this.refuse(viewer, err instanceof FrameStreamError ? err : new FrameStreamError('ERR_CONTROL_INVALID', String(err)));
    }
    const kind = this.text[msg.type] as MessageKind<ClientMessage> | undefined;
    if (!kind) {
      if (!this.admit(viewer, UNREADABLE, this.unreadableRate)) return;
      return this.refuse(viewer, new FrameStreamError('ERR_CONTROL_UNKNOWN_TYPE', `This stream takes no \`${msg.type}\` messages`));
    }
    this.deliver(viewer, msg.type, kind, msg, bytes.byteLength);
  }

  private dispatchBinary(viewer: Viewer, bytes: Buffer): void {
    const kind = bytes.byteLength > 0 ? this.binary.get(bytes[0]!) : undefined;
    if (!kind) {
      if (!this.admit(viewer, UNREADABLE, this.unreadableRate)) return;
      return this.refuse(viewer, new FrameStreamError('ERR_CONTROL_INVALID', 'Control messages must be JSON text, got a binary message'));
    }
    this.deliver(viewer, `binary:${bytes[0]}`, kind, bytes, bytes.byteLength);
  }

  private deliver<M>(viewer: Viewer, name: string, kind: MessageKind<M>, msg: M, size: number): void {
    if (!this.admit(viewer, name, kind.rate)) return;
    if (size > kind.maxBytes) {
      return this.refuse(
        viewer,
        new FrameStreamError(kind.tooLarge ?? 'ERR_CONTROL_TOO_LARGE', `A \`${name}\` message may be at most ${kind.maxBytes} bytes, got ${size}`),
      );
    }
    kind.handle(viewer, msg);
  }

  /** Takes a token for the kind; answers or disconnects a viewer over its rate. */
  private admit(viewer: Viewer, name: string, rate: RateLimit): boolean {
    const budget = viewer.bucket(name, rate).take();
    if (budget === 'ok') return true;
    const err = new FrameStreamError(
      'ERR_CONTROL_RATE_LIMITED',
      `Viewer ${viewer.info.id} sent \`${name}\` messages faster than the rate limit allows`,
    );
    if (budget === 'abusive') {
      this.fault(viewer, err);
      viewer.ws.close(1008, 'Control message rate limit exceeded');
    } else {
      this.refuse(viewer, err);
    }
    return false;
  }

  private refuse(viewer: Viewer, err: FrameStreamError): void {
    viewer.sendMessage({ type: 'error', code: err.code, message: err.message });
    this.fault(viewer, err);
  }
}

/** What the built-in message kinds need from their stream. */
export interface BuiltinContext {
  controlRate: RateLimit;
  controlMaxBytes: number;
  /** Emits `control` and runs the `onControl` hook, reporting a throw. */
  deliverControl(data: unknown, viewer: Viewer): void;
}

/** The `framestream.v1` kinds every stream takes: ping, setMaxFps and app control. */
export function registerBuiltinKinds(registry: MessageRegistry, ctx: BuiltinContext): MessageRegistry {
  // A client pings every couple of seconds and sets its cap now and then.
  // These kinds get buckets of their own, at least 20 a second (room for
  // reconnect bursts), so they never use up the app's control budget.
  const small = 1024;
  const c = ctx.controlRate;
  const protocolRate = c.messages / c.perMs >= 20 / 1000 ? c : { messages: 20, perMs: 1000 };
  return registry
    .onText('ping', {
      maxBytes: small,
      rate: protocolRate,
      handle: (viewer, msg) =>
        viewer.sendMessage({
          type: 'pong',
          id: msg.id,
          clientTime: msg.clientTime,
          serverTime: wallClockMs(),
          // The pong must wait behind whatever frames are queued; saying how
          // much lets the client discount a sample that waited.
          queuedBytes: viewer.buffered,
        }),
    })
    .onText('setMaxFps', { maxBytes: small, rate: protocolRate, handle: (viewer, msg) => viewer.setMaxFps(msg.fps) })
    .onText('control', {
      maxBytes: ctx.controlMaxBytes,
      rate: ctx.controlRate,
      handle: (viewer, msg) => ctx.deliverControl(msg.data, viewer),
    });
}
