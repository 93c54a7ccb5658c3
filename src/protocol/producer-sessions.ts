import { FrameStreamError } from './errors.js';

/**
 * Sessions served by a producer (docs/producers.md, "Serving sessions"): on
 * a stream created with `session: 'producer'`, the producer, not code in the
 * server's process, makes each viewer session's frames.
 *
 * Opt-in: a producer asks for it with the query parameter `?sessions=1` on
 * the ingest URL. Only such a producer is ever sent the messages below, so
 * a v1 producer, which closes on any message it does not know, never sees
 * one. On a session stream, a producer that did not ask is refused (close
 * 4412) with an `error` message saying how to ask.
 *
 * Server → producer, binary, one per viewer input frame (little-endian):
 *
 * | offset | type | field                                                  |
 * |-------:|------|--------------------------------------------------------|
 * |      0 | u8   | message type, always 2 (session input)                 |
 * |      1 | u8   | codec, 1 = JPEG                                        |
 * |      2 | u16  | header length H, 24 in this version                    |
 * |      4 | u32  | target: the session's number (from `sessionStart`)     |
 * |      8 | u32  | the viewer's input sequence number                     |
 * |     12 | u16  | width of the JPEG, px                                  |
 * |     14 | u16  | height of the JPEG, px                                 |
 * |     16 | f64  | capture time, ms since the epoch, the viewer's clock   |
 * |      H | P    | the viewer's JPEG file, byte for byte (P = length - H) |
 */
export const PRODUCER_SESSIONS_PARAM = 'sessions';
export const PRODUCER_INPUT_TYPE = 2;
export const PRODUCER_INPUT_HEADER_BYTES = 24;

/** One viewer input frame as the producer receives it. */
export interface ProducerInputHeader {
  target: number;
  seq: number;
  width: number;
  height: number;
  captureTime: number;
  codec: 'jpeg';
}

/** Server → producer text messages about sessions (only to a producer that asked). */
export type ProducerSessionMessage =
  | {
      /** A session started (or, after a reconnect, is still running): frames sent to `target` reach its viewer. */
      type: 'sessionStart';
      /** The session's number for frame headers and these messages: a u32, never 0, not reused while the server runs. */
      target: number;
      /** The session's public id (what spectators name). */
      id: string;
      /** The viewer's latest params, `{}` before any. */
      params: Record<string, unknown>;
      /** What the stream's `ingest.sessionInfo` chose to share about the viewer; `null` without it. */
      viewer: unknown;
      /** Server wall clock when the session ends at the latest, or `null`. */
      expiresAt: number | null;
    }
  | { type: 'sessionParams'; target: number; params: Record<string, unknown> }
  | { type: 'sessionEnd'; target: number; reason: string };

/** Builds a session input message: the viewer's JPEG bytes as they came, behind a 24-byte header. */
export function encodeProducerInput(header: Omit<ProducerInputHeader, 'codec'>, jpeg: Uint8Array): Uint8Array {
  const msg = new Uint8Array(PRODUCER_INPUT_HEADER_BYTES + jpeg.byteLength);
  const view = new DataView(msg.buffer, 0, PRODUCER_INPUT_HEADER_BYTES);
  view.setUint8(0, PRODUCER_INPUT_TYPE);
  view.setUint8(1, 1);
  view.setUint16(2, PRODUCER_INPUT_HEADER_BYTES, true);
  view.setUint32(4, header.target >>> 0, true);
  view.setUint32(8, header.seq >>> 0, true);
  view.setUint16(12, Math.min(header.width, 0xffff), true);
  view.setUint16(14, Math.min(header.height, 0xffff), true);
  view.setFloat64(16, header.captureTime, true);
  msg.set(jpeg, PRODUCER_INPUT_HEADER_BYTES);
  return msg;
}

/** Reads a session input message (the producer side); the payload is a view. Throws `ERR_PRODUCER_PROTOCOL`. */
export function decodeProducerInput(bytes: Uint8Array): { header: ProducerInputHeader; payload: Uint8Array } {
  const bad = (detail: string): never => {
    throw new FrameStreamError('ERR_PRODUCER_PROTOCOL', `Malformed session input: ${detail}`);
  };
  if (bytes.byteLength < PRODUCER_INPUT_HEADER_BYTES) bad(`${bytes.byteLength} bytes, shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== PRODUCER_INPUT_TYPE) bad(`message type ${view.getUint8(0)}`);
  if (view.getUint8(1) !== 1) bad(`unknown codec ${view.getUint8(1)}`);
  const headerLength = view.getUint16(2, true);
  // A later version may add fields: the payload starts at H, whatever H is.
  if (headerLength < PRODUCER_INPUT_HEADER_BYTES || headerLength > bytes.byteLength) bad(`header length ${headerLength}`);
  return {
    header: {
      target: view.getUint32(4, true),
      seq: view.getUint32(8, true),
      width: view.getUint16(12, true),
      height: view.getUint16(14, true),
      captureTime: view.getFloat64(16, true),
      codec: 'jpeg',
    },
    payload: bytes.subarray(headerLength),
  };
}
