import { randomBytes } from 'node:crypto';
import { encodeFrameMessage, encodeFrameMetrics, type FrameMeta, type FrameMetrics } from '../../protocol/index.js';

/**
 * Names this process as a clock domain. A frame's `seq`, `captureTime` and
 * `encodedTime` are stamped by the process that produced it, on its own wall
 * clock; a frame relayed from another process (a hub) keeps its origin's
 * stamps, so a viewer's latency is always measured against one clock.
 */
export const PROCESS_ORIGIN = randomBytes(6).toString('hex');

/** One produced frame: built once, the same bytes go to every viewer. */
export interface EncodedFrame {
  meta: FrameMeta;
  /** The whole `framestream.v1` message (header, metrics, JPEG). */
  message: Buffer;
  /** The JPEG alone: a view into `message`, which is what bare viewers get. */
  payload: Buffer;
  /** The process whose clock stamped `meta` (see {@link PROCESS_ORIGIN}). */
  origin: string;
}

/** A JPEG ready to be framed, with what its header will say. */
export interface EncodedImage {
  jpeg: Uint8Array;
  width: number;
  height: number;
  metrics: FrameMetrics | undefined;
  /** Wall clock, ms since the epoch, when the frame was captured or generated. */
  captureTime: number;
  /** Wall clock when its encode finished (or when it arrived already encoded). */
  encodedTime: number;
}

/**
 * Frames encoded images into `framestream.v1` messages, numbering them. Kept
 * apart from encoding: a frame that arrives already encoded (a pushed JPEG,
 * an external producer) skips the encoder but is framed the same way.
 */
export class Framer {
  private seq = 0;

  constructor(private readonly origin = PROCESS_ORIGIN) {}

  /** Frames produced so far; the next frame's `seq` is one more. */
  get count(): number {
    return this.seq;
  }

  /** Builds the message once. Throws (a RangeError) when the metrics cannot fit a header. */
  frame(image: EncodedImage): EncodedFrame {
    const meta: FrameMeta = {
      seq: (this.seq % 0xffff_ffff) + 1, // a u32 on the wire
      captureTime: image.captureTime,
      encodedTime: image.encodedTime,
      width: image.width,
      height: image.height,
      codec: 'jpeg',
      ...(image.metrics && { metrics: image.metrics }),
    };
    // Buffer.allocUnsafe: ws sends a Buffer as is, so every viewer's socket
    // references this one allocation instead of a copy each.
    const message = encodeFrameMessage(meta, image.jpeg, encodeFrameMetrics(image.metrics), Buffer.allocUnsafe) as Buffer;
    this.seq = meta.seq;
    return { meta, message, payload: message.subarray(message.byteLength - image.jpeg.byteLength), origin: this.origin };
  }
}
