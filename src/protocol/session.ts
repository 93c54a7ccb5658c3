import { FrameStreamError } from './errors.js';

/**
 * Interactive streams (docs/sessions.md): on a stream created with a
 * `session` function, each framestream.v1 viewer gets a private session. It
 * sends its camera frames up as binary **input frame** messages and its
 * parameters as `params` text messages; the server answers with session
 * messages and acknowledges input frames. Broadcast streams never send or
 * accept any of this, so they and their viewers are unaffected.
 *
 * Input frame (client → server, binary), little-endian:
 *
 * | offset | type | field                                                 |
 * |-------:|------|-------------------------------------------------------|
 * |      0 | u8   | message type, always 2 (input frame)                  |
 * |      1 | u8   | codec, 1 = JPEG                                       |
 * |      2 | u16  | header length H, 16 in this version                   |
 * |      4 | u32  | input sequence number, chosen by the client, rising   |
 * |      8 | f64  | capture time, ms since the epoch, client clock        |
 * |     16 | P    | one complete JPEG file (H = 16: P = length - 16)      |
 */
export const INPUT_FRAME_TYPE = 2;
export const INPUT_HEADER_BYTES = 16;
export const INPUT_CODECS = { jpeg: 1 } as const;

/** What an input frame's header says. */
export interface InputFrameHeader {
  seq: number;
  /** Client wall clock when the camera frame was captured. */
  captureTime: number;
  codec: 'jpeg';
}

/** Builds one input frame message (the client side). */
export function encodeInputFrame(header: InputFrameHeader, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(header.seq) || header.seq < 0 || header.seq > 0xffff_ffff) {
    throw new RangeError(`Expected \`seq\` to be a u32, got \`${header.seq}\``);
  }
  if (!Number.isFinite(header.captureTime)) throw new RangeError(`Expected \`captureTime\` to be finite, got \`${header.captureTime}\``);
  const msg = new Uint8Array(INPUT_HEADER_BYTES + payload.byteLength);
  const view = new DataView(msg.buffer, 0, INPUT_HEADER_BYTES);
  view.setUint8(0, INPUT_FRAME_TYPE);
  view.setUint8(1, INPUT_CODECS.jpeg);
  view.setUint16(2, INPUT_HEADER_BYTES, true);
  view.setUint32(4, header.seq, true);
  view.setFloat64(8, header.captureTime, true);
  msg.set(payload, INPUT_HEADER_BYTES);
  return msg;
}

/**
 * Reads an input frame's header (the server side). Throws
 * `ERR_INPUT_INVALID` for a message that is not one; the payload is a view.
 * Whether the payload is really a JPEG of acceptable size is the server's
 * to check before anything decodes it.
 */
export function decodeInputFrame(bytes: Uint8Array): { header: InputFrameHeader; payload: Uint8Array } {
  if (bytes.byteLength < INPUT_HEADER_BYTES) {
    throw new FrameStreamError('ERR_INPUT_INVALID', `Input frame is ${bytes.byteLength} bytes, shorter than its header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== INPUT_FRAME_TYPE) throw new FrameStreamError('ERR_INPUT_INVALID', 'Not an input frame');
  if (view.getUint8(1) !== INPUT_CODECS.jpeg) {
    throw new FrameStreamError('ERR_INPUT_INVALID', `Unknown input codec ${view.getUint8(1)}; this version takes JPEG (1)`);
  }
  const headerLength = view.getUint16(2, true);
  if (headerLength !== INPUT_HEADER_BYTES) {
    throw new FrameStreamError('ERR_INPUT_INVALID', `Input frame header length ${headerLength}, expected ${INPUT_HEADER_BYTES}`);
  }
  const captureTime = view.getFloat64(8, true);
  if (!Number.isFinite(captureTime)) throw new FrameStreamError('ERR_INPUT_INVALID', 'Input frame capture time is not finite');
  return {
    header: { seq: view.getUint32(4, true), captureTime, codec: 'jpeg' },
    payload: bytes.subarray(INPUT_HEADER_BYTES),
  };
}

/**
 * Where a viewer's session stands, as the server says it in `session`
 * messages: waiting for a free place (`queued`, with its 1-based position),
 * running (`active`), or over (`ended`, with the reason, just before the
 * server closes the socket).
 */
export type SessionMessage =
  | { type: 'session'; state: 'queued'; position: number; token: string }
  | {
      type: 'session';
      state: 'active';
      /** Public id (what spectators name); not a secret. */
      id: string;
      /** The secret that resumes this session after a dropped socket (`?session=` on reconnect). */
      token: string;
      /** Server wall clock when the session ends at the latest, or `null` without `sessionTimeout`. */
      expiresAt: number | null;
      /** `true` for a spectator: frames only, its input and params are refused. */
      spectator: boolean;
    }
  | { type: 'session'; state: 'ended'; reason: string };

/** The server took input frames up to `seq` (handed to the model, or replaced by a newer one). */
export type InputAckMessage = { type: 'inputAck'; seq: number };

/** Client → server: the session's parameters (e.g. `{ prompt }`), replacing the previous ones. */
export type ParamsMessage = { type: 'params'; params: Record<string, unknown> };
