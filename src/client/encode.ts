import { looksLikeJpeg } from '../protocol/index.js';
import type { InputItem } from './input.js';

/**
 * What `sendFrame` takes: one encoded JPEG (`Blob`, `ArrayBuffer`, a
 * `Uint8Array` or any other view) or, in browsers, pixels it encodes itself
 * (`ImageBitmap`, `VideoFrame`, `HTMLCanvasElement`, `OffscreenCanvas`).
 */
export type InputFrameSource = Blob | ArrayBuffer | ArrayBufferView | ImageBitmap | VideoFrame | HTMLCanvasElement | OffscreenCanvas;

/** Options of `sendFrame`. */
export interface SendFrameOptions {
  /**
   * Width to encode pixels at. @default the stream's size for an
   * interactive stream (its hello), else the source's own width
   */
  width?: number;
  /** Height to encode pixels at. @default as `width` */
  height?: number;
  /** JPEG quality for pixels, in (0, 1]. @default 0.8 */
  quality?: number;
  /** When the frame was captured, ms since the epoch from `Date.now()` (for the round trip). @default Date.now() */
  captureTime?: number;
}

/** Default JPEG quality for pixels `sendFrame` encodes. */
export const INPUT_QUALITY = 0.8;

type Pixels = ImageBitmap | VideoFrame | HTMLCanvasElement | OffscreenCanvas;

// Tag checks: these classes exist only in browsers (and some only in
// windows, not workers), and `instanceof` fails across realms.
const tagOf = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);
const PIXEL_TAGS = new Set(['ImageBitmap', 'VideoFrame', 'HTMLCanvasElement', 'OffscreenCanvas']);

function isPixels(frame: unknown): frame is Pixels {
  return PIXEL_TAGS.has(tagOf(frame));
}

function isBlob(frame: unknown): frame is Blob {
  return typeof Blob !== 'undefined' && frame instanceof Blob;
}

/** The size pixels come in. */
function sizeOf(frame: Pixels): { width: number; height: number } {
  if (tagOf(frame) === 'VideoFrame') {
    const f = frame as VideoFrame;
    return { width: f.displayWidth, height: f.displayHeight };
  }
  const f = frame as Exclude<Pixels, VideoFrame>;
  return { width: f.width, height: f.height };
}

function release(frame: unknown): void {
  const tag = tagOf(frame);
  if (tag === 'ImageBitmap' || tag === 'VideoFrame') (frame as ImageBitmap | VideoFrame).close();
}

function checkSize(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 16384)) {
    throw new RangeError(`Expected \`${name}\` to be an integer in [1, 16384], got \`${String(value)}\``);
  }
  return value;
}

/** Checks `sendFrame`'s options, throwing a `TypeError`/`RangeError` that names the bad one. */
export function checkSendFrameOptions(options: unknown): SendFrameOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got \`${String(options)}\``);
  }
  const o = options as SendFrameOptions;
  const quality = o.quality;
  if (quality !== undefined && !(typeof quality === 'number' && quality > 0 && quality <= 1)) {
    throw new RangeError(`Expected \`quality\` to be a number in (0, 1], got \`${String(quality)}\``);
  }
  if (o.captureTime !== undefined && !(typeof o.captureTime === 'number' && Number.isFinite(o.captureTime))) {
    throw new TypeError(`Expected \`captureTime\` to be a finite number (ms since the epoch), got \`${String(o.captureTime)}\``);
  }
  return { width: checkSize('width', o.width), height: checkSize('height', o.height), quality, captureTime: o.captureTime };
}

/**
 * Encodes pixels to JPEG on an OffscreenCanvas, which exists in windows and
 * workers alike. One canvas per client, resized as needed, so a camera at
 * 30 fps does not allocate a canvas per frame.
 */
export class JpegEncoder {
  private canvas: OffscreenCanvas | null = null;
  private ctx: OffscreenCanvasRenderingContext2D | null = null;

  /**
   * Draws `frame` at `width`×`height` now (so a canvas is read as it is at
   * this moment) and closes an `ImageBitmap`/`VideoFrame`; resolves with the
   * JPEG bytes.
   */
  encode(frame: Pixels, width: number, height: number, quality: number): Promise<Uint8Array> {
    try {
      const ctx = this.context(width, height);
      ctx.drawImage(frame as CanvasImageSource, 0, 0, width, height);
    } finally {
      release(frame);
    }
    return this.canvas!.convertToBlob({ type: 'image/jpeg', quality }).then(async (blob) => new Uint8Array(await blob.arrayBuffer()));
  }

  private context(width: number, height: number): OffscreenCanvasRenderingContext2D {
    if (typeof OffscreenCanvas === 'undefined') {
      throw new TypeError('Encoding pixels needs OffscreenCanvas (browsers and their workers); pass JPEG bytes instead');
    }
    if (!this.canvas || !this.ctx) {
      this.canvas = new OffscreenCanvas(width, height);
      this.ctx = this.canvas.getContext('2d');
      if (!this.ctx) throw new Error('OffscreenCanvas gave no 2d context');
    } else if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    return this.ctx;
  }
}

/**
 * Turns `sendFrame`'s argument into an {@link InputItem}, or throws a
 * `TypeError` naming it: bytes that are not a JPEG, or something that is
 * neither bytes nor pixels. `defaultSize` is the stream's input size, if
 * the server says one.
 */
export function toInputItem(
  frame: unknown,
  options: SendFrameOptions,
  captureTime: number,
  encoder: JpegEncoder,
  defaultSize: { width: number; height: number } | null,
): InputItem {
  if (isPixels(frame)) {
    const own = sizeOf(frame);
    const base = defaultSize ?? own;
    // One of the two given: keep the source's aspect for the other.
    const width = options.width ?? (options.height ? Math.max(1, Math.round((options.height * own.width) / own.height)) : base.width);
    const height = options.height ?? (options.width ? Math.max(1, Math.round((options.width * own.height) / own.width)) : base.height);
    const quality = options.quality ?? INPUT_QUALITY;
    return { captureTime, prepare: () => encoder.encode(frame, width, height, quality), release: () => release(frame) };
  }
  if (isBlob(frame)) {
    return {
      captureTime,
      prepare: async () => {
        const bytes = new Uint8Array(await frame.arrayBuffer());
        if (!looksLikeJpeg(bytes)) throw new TypeError(`Expected \`frame\` to be a JPEG; the Blob of ${bytes.byteLength} bytes is not one`);
        return bytes;
      },
      release: () => {},
    };
  }
  let bytes: Uint8Array | null = null;
  if (tagOf(frame) === 'ArrayBuffer') bytes = new Uint8Array(frame as ArrayBuffer);
  else if (ArrayBuffer.isView(frame)) bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  if (!bytes) {
    throw new TypeError(
      `Expected \`frame\` to be JPEG bytes (Blob, ArrayBuffer, Uint8Array) or an ImageBitmap, VideoFrame or canvas, got \`${tagOf(frame)}\``,
    );
  }
  if (!looksLikeJpeg(bytes)) throw new TypeError(`Expected \`frame\` to be a JPEG; its ${bytes.byteLength} bytes do not start with one`);
  // Copied now: the caller may reuse its buffer while the frame waits.
  const copy = bytes.slice();
  return { captureTime, prepare: () => copy, release: () => {} };
}
