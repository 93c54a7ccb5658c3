import { decodeFrameMessage } from '../../protocol/index.js';
import type { EncodedFrame } from '../encode/framing.js';

/**
 * A frame as it crosses the hub: who sent it, which clock stamped it, then
 * the `framestream.v1` message exactly as viewers get it, so a receiving
 * node sends the bytes it got without building anything.
 *
 * | bytes | field                                   |
 * |-------|-----------------------------------------|
 * | 1     | envelope version, 1                     |
 * | 1     | sender node id length N                 |
 * | N     | sender node id (ASCII)                  |
 * | 1     | origin length M                         |
 * | M     | origin: the clock domain (ASCII)        |
 * | rest  | the `framestream.v1` frame message      |
 */
const VERSION = 1;

export interface HubFrame {
  node: string;
  frame: EncodedFrame;
}

export function wrapFrame(node: string, frame: EncodedFrame): Buffer {
  const n = Buffer.byteLength(node, 'latin1');
  const m = Buffer.byteLength(frame.origin, 'latin1');
  const head = 3 + n + m;
  const out = Buffer.allocUnsafe(head + frame.message.byteLength);
  out[0] = VERSION;
  out[1] = n;
  out.write(node, 2, 'latin1');
  out[2 + n] = m;
  out.write(frame.origin, 3 + n, 'latin1');
  frame.message.copy(out, head);
  return out;
}

/** Reads an envelope; throws (a FrameStreamError or RangeError) on anything malformed. */
export function unwrapFrame(bytes: Buffer): HubFrame {
  if (bytes.byteLength < 3 || bytes[0] !== VERSION) throw new RangeError('Not a framestream hub frame');
  const n = bytes[1]!;
  const m = bytes[2 + n];
  if (m === undefined || 3 + n + m > bytes.byteLength) throw new RangeError('Hub frame header runs past its end');
  const node = bytes.toString('latin1', 2, 2 + n);
  const origin = bytes.toString('latin1', 3 + n, 3 + n + m);
  const message = bytes.subarray(3 + n + m);
  const { meta, payload } = decodeFrameMessage(message);
  return { node, frame: { meta, message, payload: payload as Buffer, origin } };
}
