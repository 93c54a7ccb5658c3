/**
 * The frame painter: decode a JPEG, draw it scaled, count what happened.
 *
 * The same code runs on the main thread and inside the framestream worker
 * (stream-worker.ts), where it owns an OffscreenCanvas.
 */

/** How a frame is scaled into a canvas of a different shape. */
export type FitMode = 'cover' | 'contain';

/** Where to draw a `srcW`×`srcH` image inside a `dstW`×`dstH` canvas. */
export interface FitRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Counters a {@link StreamCanvas} keeps; e2e tests and dashboards read them. */
export interface PainterStats {
  /** Frames handed to the painter. */
  received: number;
  /** Frames decoded into a bitmap. */
  decoded: number;
  /** Frames drawn to the canvas. */
  painted: number;
  /** Frames replaced by a newer one before their decode started, or cleared before they were drawn. */
  dropped: number;
  /** Frames that failed to decode (not a JPEG, truncated, …). */
  errors: number;
  /** Decode time of the last frame, ms. */
  lastDecodeMs: number;
  /**
   * Age of the frame on screen when it was painted: capture on the server to
   * drawn here, ms, corrected for the clock difference. `null` when unknown
   * (a bare-JPEG server, frames fed through a ref, before the first clock estimate).
   */
  frameAgeMs: number | null;
  /** Bitmaps created and not yet closed (at most two: the shown one and one decoding). */
  liveBitmaps: number;
  /** Canvas backing-store size in device pixels. */
  width: number;
  height: number;
  /** Size of the frame on screen in its own pixels; 0×0 before the first one. */
  frameWidth: number;
  frameHeight: number;
  /** Where decoding and painting run. */
  thread: 'main' | 'worker';
}

/**
 * `cover` fills the canvas and crops the overflow; `contain` shows the whole
 * image and letterboxes. Both keep the aspect ratio and centre the image.
 */
export function fitRect(srcW: number, srcH: number, dstW: number, dstH: number, mode: FitMode): FitRect {
  if (!(srcW > 0 && srcH > 0 && dstW > 0 && dstH > 0)) return { x: 0, y: 0, width: 0, height: 0 };
  const scaleX = dstW / srcW;
  const scaleY = dstH / srcH;
  const scale = mode === 'cover' ? Math.max(scaleX, scaleY) : Math.min(scaleX, scaleY);
  const width = srcW * scale;
  const height = srcH * scale;
  return { x: (dstW - width) / 2, y: (dstH - height) / 2, width, height };
}

/** What {@link createPainter} returns. */
export interface Painter {
  /**
   * Queue a JPEG; it replaces (drops) any frame still waiting for the decoder.
   * `capturedAt` is its capture time on this machine's wall clock, if known.
   */
  submit(bytes: Uint8Array, capturedAt?: number | null): void;
  resize(width: number, height: number): void;
  setFit(mode: FitMode): void;
  /** Forget the shown frame, any waiting one and any being decoded; paint black. */
  clear(): void;
  destroy(): void;
}

type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;
type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/**
 * Latest-frame-wins painter. At most one decode is in flight; a frame that
 * arrives meanwhile waits in a single slot, and a newer one replaces it, so a
 * slow decoder shows the newest frame rather than a growing backlog. Every
 * bitmap is closed as soon as a newer one is drawn (the shown one is kept so
 * a resize or fit change can repaint without waiting for the next frame).
 */
export function createPainter(
  canvas: AnyCanvas,
  thread: 'main' | 'worker',
  report: (stats: PainterStats) => void,
  fit: typeof fitRect,
): Painter {
  // alpha:false lets the compositor skip blending; desynchronized lets the
  // browser show the canvas without waiting for the next page composite.
  const ctx = canvas.getContext('2d', { alpha: false, desynchronized: true }) as Ctx2D | null;
  let mode: FitMode = 'cover';
  let pending: Uint8Array | null = null;
  let pendingCapturedAt: number | null = null;
  let decoding = false;
  // Bumped by clear(): a decode that started before it must not be drawn
  // after it, or a cleared canvas would show a frame again.
  let generation = 0;
  let shown: ImageBitmap | null = null;
  let destroyed = false;
  const stats: PainterStats = {
    received: 0,
    decoded: 0,
    painted: 0,
    dropped: 0,
    errors: 0,
    lastDecodeMs: 0,
    frameAgeMs: null,
    liveBitmaps: 0,
    width: canvas.width,
    height: canvas.height,
    frameWidth: 0,
    frameHeight: 0,
    thread,
  };

  function draw(): void {
    if (!ctx || destroyed) return;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!shown) return;
    const r = fit(shown.width, shown.height, canvas.width, canvas.height, mode);
    ctx.drawImage(shown, r.x, r.y, r.width, r.height);
  }

  function pump(): void {
    if (decoding || !pending || destroyed) return;
    const bytes = pending;
    const capturedAt = pendingCapturedAt;
    pending = null;
    decoding = true;
    const decodingGeneration = generation;
    const started = performance.now();
    createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' })).then(
      (bitmap) => {
        decoding = false;
        stats.liveBitmaps++;
        if (destroyed || decodingGeneration !== generation) {
          bitmap.close();
          stats.liveBitmaps--;
          if (destroyed) return;
          stats.dropped++;
          report({ ...stats });
          return pump();
        }
        stats.decoded++;
        stats.lastDecodeMs = performance.now() - started;
        if (shown) {
          shown.close();
          stats.liveBitmaps--;
        }
        shown = bitmap;
        draw();
        stats.painted++;
        stats.frameWidth = bitmap.width;
        stats.frameHeight = bitmap.height;
        stats.frameAgeMs = capturedAt === null ? null : performance.timeOrigin + performance.now() - capturedAt;
        report({ ...stats });
        pump();
      },
      () => {
        decoding = false;
        if (destroyed) return;
        stats.errors++;
        report({ ...stats });
        pump();
      },
    );
  }

  draw();
  return {
    submit(bytes, capturedAt = null) {
      if (destroyed) return;
      stats.received++;
      if (pending) stats.dropped++;
      pending = bytes;
      pendingCapturedAt = capturedAt;
      pump();
    },
    resize(width, height) {
      const w = Math.max(1, Math.round(width));
      const h = Math.max(1, Math.round(height));
      if (canvas.width === w && canvas.height === h) return;
      // Setting the size clears the canvas, so repaint the shown frame at once.
      canvas.width = w;
      canvas.height = h;
      stats.width = w;
      stats.height = h;
      draw();
      report({ ...stats });
    },
    setFit(next) {
      mode = next;
      draw();
    },
    clear() {
      if (pending) stats.dropped++;
      pending = null;
      generation++;
      if (shown) {
        shown.close();
        stats.liveBitmaps--;
        shown = null;
      }
      draw();
      report({ ...stats });
    },
    destroy() {
      destroyed = true;
      pending = null;
      if (shown) {
        shown.close();
        stats.liveBitmaps--;
        shown = null;
      }
    },
  };
}
