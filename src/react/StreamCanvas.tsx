import {
  forwardRef,
  useEffect,
  useImperativeHandle,
  useRef,
  type CSSProperties,
  type HTMLAttributes,
} from 'react';
import type { FitMode, PainterStats } from './painter.js';
import { createFrameRenderer, type FrameEmitterLike, type FrameRenderer, type RenderThread } from './renderer.js';
import { useSharedFit } from './settings.js';

export type { FrameEmitterLike } from './renderer.js';

/** What a ref to a {@link StreamCanvas} can do. */
export interface StreamCanvasHandle {
  /** Paint one complete JPEG. The bytes are copied, so the caller may reuse them. */
  renderFrame(bytes: Uint8Array): void;
  /** Forget the shown frame and paint black. */
  clear(): void;
  /** The canvas element, once mounted (it is created after mount, see below). */
  readonly canvas: HTMLCanvasElement | null;
  /** The latest counters, or `null` before the first report. */
  getStats(): PainterStats | null;
}

/**
 * Props of {@link StreamCanvas}; other props go to the wrapping `<div>`
 * (class `fs-canvas`, merged with `className`), which sets the canvas's size.
 * With framestream/react/styles.css it fills its container; where the
 * container has no height, it takes the frames' aspect (1 / 1 before the
 * first frame, or `--fs-canvas-aspect` when set).
 */
export interface StreamCanvasProps extends Omit<HTMLAttributes<HTMLDivElement>, 'children'> {
  /**
   * Paint every `'frame'` this emits, typically the `client` from
   * {@link useFrameStream}. A client whose stream runs in a worker
   * (`WorkerFrameStreamClient`, the hook's default where supported) paints
   * in that worker, straight from its socket. A new client means a new
   * canvas element. Without a client, feed frames through the ref.
   * @default undefined
   */
  client?: FrameEmitterLike | null;
  /**
   * `cover` fills the canvas and crops; `contain` shows the whole frame.
   * Without it, the canvas follows the fit chosen in a {@link Controls}
   * given the same client (`<Controls stream={stream} />`).
   * @default the fit chosen in Controls, else 'cover'
   */
  fit?: FitMode;
  /**
   * `auto` paints in a worker through an OffscreenCanvas where the browser
   * allows it and on the main thread otherwise; `main` forces the main thread.
   * Read when the canvas is created (on mount and when `client` changes).
   * @default 'auto'
   */
  thread?: RenderThread;
  /**
   * Called after each painted frame, resize or decode error with the
   * renderer's counters. Runs often; avoid setting React state on every call.
   * @default undefined
   */
  onStats?: (stats: PainterStats) => void;
  /**
   * Accessible name of the canvas.
   * @default 'Live stream'
   */
  label?: string;
}

// Paint containment makes the box the containing block of the absolutely
// placed canvas without setting `position`, so a className such as
// `absolute inset-0` still positions the box itself. Size and background
// come from the stylesheet (`.fs-canvas`), at zero specificity.
const WRAPPER_STYLE: CSSProperties = { contain: 'paint', overflow: 'hidden' };
const CANVAS_STYLE = 'position:absolute;inset:0;width:100%;height:100%;display:block;';

/**
 * A canvas that paints JPEG frames: decoded with `createImageBitmap`, scaled
 * with `cover` or `contain`, its backing store kept at its CSS size times
 * `devicePixelRatio`. Decoding never queues: the newest frame wins and at
 * most one decode is in flight. Where supported, decoding and painting run in
 * a worker that owns the canvas.
 *
 * The `<canvas>` is created in an effect rather than rendered, because a
 * canvas handed to a worker can never be handed back; a fresh element per
 * mount keeps Strict Mode's mount-unmount-mount and server rendering safe.
 * Counters are mirrored on it as `data-frames-painted`, `data-frames-decoded`,
 * `data-frames-dropped`, `data-frames-received`, `data-live-bitmaps`,
 * `data-backing-size` (`WxH` device pixels) and `data-thread`.
 *
 * @example
 * const { client } = useFrameStream({ url, autoConnect: true });
 * return <StreamCanvas client={client} style={{ height: '100vh' }} />;
 */
export const StreamCanvas = forwardRef<StreamCanvasHandle, StreamCanvasProps>(function StreamCanvas(
  { client, fit: fitProp, thread = 'auto', onStats, label = 'Live stream', style, className, ...rest },
  ref,
) {
  const [sharedFit] = useSharedFit(client);
  const fit = fitProp ?? sharedFit ?? 'cover';
  const wrapperRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const rendererRef = useRef<FrameRenderer | null>(null);
  const statsRef = useRef<PainterStats | null>(null);
  const onStatsRef = useRef(onStats);
  onStatsRef.current = onStats;
  const fitRef = useRef(fit);
  fitRef.current = fit;

  useImperativeHandle(
    ref,
    () => ({
      renderFrame: (bytes) => rendererRef.current?.submit(bytes),
      clear: () => rendererRef.current?.clear(),
      get canvas() {
        return canvasRef.current;
      },
      getStats: () => statsRef.current,
    }),
    [],
  );

  useEffect(() => {
    const wrapper = wrapperRef.current;
    if (!wrapper) return;
    const canvas = document.createElement('canvas');
    canvas.setAttribute('style', CANVAS_STYLE);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', label);
    canvas.dataset.testid = 'stream-canvas';
    wrapper.appendChild(canvas);
    canvasRef.current = canvas;

    const report = (stats: PainterStats) => {
      statsRef.current = stats;
      canvas.dataset.framesReceived = String(stats.received);
      canvas.dataset.framesDecoded = String(stats.decoded);
      canvas.dataset.framesPainted = String(stats.painted);
      canvas.dataset.framesDropped = String(stats.dropped);
      canvas.dataset.liveBitmaps = String(stats.liveBitmaps);
      canvas.dataset.thread = stats.thread;
      canvas.dataset.backingSize = `${stats.width}x${stats.height}`;
      // The frames' aspect, for a box whose container gives it no height.
      if (stats.frameWidth > 0 && stats.frameHeight > 0) {
        wrapper.style.setProperty('--fs-frame-aspect', `${stats.frameWidth} / ${stats.frameHeight}`);
      }
      onStatsRef.current?.(stats);
    };
    const renderer = createFrameRenderer(canvas, { thread, client, report });
    renderer.setFit(fitRef.current);
    rendererRef.current = renderer;

    const dpr = () => (typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1);
    const rect = canvas.getBoundingClientRect();
    renderer.resize(rect.width * dpr(), rect.height * dpr());

    let observer: ResizeObserver | null = null;
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver((entries) => {
        const entry = entries[entries.length - 1];
        if (!entry) return;
        // CSS size times devicePixelRatio, read afresh each time. Observing
        // the device-pixel box below makes this fire when only the zoom or
        // the monitor's DPR changes; its own size figures are not used
        // because Chromium's DPR emulation leaves them unscaled.
        renderer.resize(entry.contentRect.width * dpr(), entry.contentRect.height * dpr());
      });
      try {
        observer.observe(canvas, { box: 'device-pixel-content-box' });
      } catch {
        observer.observe(canvas);
      }
    }

    return () => {
      observer?.disconnect();
      renderer.destroy();
      rendererRef.current = null;
      canvasRef.current = null;
      canvas.remove();
    };
    // A canvas handed to a client's worker can't move to another client's,
    // so a new client gets a new canvas; `thread` and `label` are read here
    // by design.
  }, [client]);

  useEffect(() => {
    rendererRef.current?.setFit(fit);
  }, [fit]);

  useEffect(() => {
    canvasRef.current?.setAttribute('aria-label', label);
  }, [label]);

  return (
    <div
      ref={wrapperRef}
      data-fit={fit}
      className={className ? `fs-canvas ${className}` : 'fs-canvas'}
      style={{ ...WRAPPER_STYLE, ...style }}
      {...rest}
    />
  );
});
