import type { InputFrameSource } from 'framestream/client';
import { looksLikeJpeg } from '../protocol/jpeg.js';

/** An input frame as it crosses to the worker: bytes, a Blob, or pixels moved by transfer. */
export type WorkerInputFrame = ArrayBuffer | Blob | ImageBitmap | VideoFrame;

const tagOf = (v: unknown): string => Object.prototype.toString.call(v).slice(8, -1);

/**
 * What `sendFrame`'s argument becomes on its way to the worker, and what to
 * transfer with it. `ImageBitmap`s and `VideoFrame`s move (the client owns
 * them from the call on); bytes are copied once into a buffer of their own
 * that moves, so the caller may reuse its buffer; a canvas cannot cross,
 * so it is returned for the caller to read into an `ImageBitmap`. Throws a `TypeError` naming `frame` for
 * anything else, as `FrameStreamClient.sendFrame` does.
 */
export function toWorkerFrame(
  frame: InputFrameSource,
): { frame: WorkerInputFrame; transfer: Transferable[] } | { canvas: HTMLCanvasElement | OffscreenCanvas } {
  const tag = tagOf(frame);
  if (tag === 'ImageBitmap' || tag === 'VideoFrame') return { frame: frame as ImageBitmap | VideoFrame, transfer: [frame as ImageBitmap | VideoFrame] };
  if (tag === 'HTMLCanvasElement' || tag === 'OffscreenCanvas') return { canvas: frame as HTMLCanvasElement | OffscreenCanvas };
  if (typeof Blob !== 'undefined' && frame instanceof Blob) return { frame, transfer: [] };
  let copy: ArrayBuffer | null = null;
  if (tag === 'ArrayBuffer') copy = (frame as ArrayBuffer).slice(0);
  else if (ArrayBuffer.isView(frame)) copy = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength).slice().buffer;
  if (!copy) {
    throw new TypeError(`Expected \`frame\` to be JPEG bytes (Blob, ArrayBuffer, Uint8Array) or an ImageBitmap, VideoFrame or canvas, got \`${tag}\``);
  }
  if (!looksLikeJpeg(new Uint8Array(copy))) throw new TypeError(`Expected \`frame\` to be a JPEG; its ${copy.byteLength} bytes are not one`);
  return { frame: copy, transfer: [copy] };
}

/** Lets go of an `ImageBitmap`/`VideoFrame` that will not be sent. */
export function releaseFrame(frame: unknown): void {
  const tag = tagOf(frame);
  if (tag === 'ImageBitmap' || tag === 'VideoFrame') (frame as ImageBitmap | VideoFrame).close();
}
