import { createPainter, fitRect, type FitMode, type Painter, type PainterStats } from './painter.js';

/**
 * Chooses where frames are decoded and painted: in a worker that owns the
 * canvas through an OffscreenCanvas when the browser allows it, otherwise on
 * the main thread. Both run the same painter (painter.ts).
 *
 * The worker is built from a Blob URL holding the painter's source, so it
 * works from node_modules under any bundler without resolving a worker file.
 * Where a Content-Security-Policy forbids blob: workers, or the worker fails
 * to start for any other reason, the main-thread painter takes over. The
 * canvas is transferred only once the worker has said it is alive, because
 * a transferred canvas can never again give a 2D context to the main thread.
 */

/** Which thread a renderer should use. */
export type RenderThread = 'auto' | 'worker' | 'main';

/** Messages the main thread sends the worker. */
type ToWorker =
  | { type: 'init'; canvas: OffscreenCanvas; fit: FitMode; width: number; height: number }
  | { type: 'frame'; buffer: ArrayBuffer }
  | { type: 'resize'; width: number; height: number }
  | { type: 'fit'; fit: FitMode }
  | { type: 'clear' }
  | { type: 'destroy' };

/** The worker's entry point; shipped as source, so it refers only to its parameters. */
function workerMain(create: typeof createPainter, fit: typeof fitRect): void {
  const scope = self as unknown as DedicatedWorkerGlobalScopeLike;
  let painter: Painter | null = null;
  scope.onmessage = (event: MessageEvent) => {
    const msg = event.data as ToWorker;
    if (msg.type === 'init') {
      painter = create(msg.canvas, 'worker', (stats) => scope.postMessage({ type: 'stats', stats }), fit);
      painter.setFit(msg.fit);
      painter.resize(msg.width, msg.height);
    } else if (painter) {
      if (msg.type === 'frame') painter.submit(new Uint8Array(msg.buffer));
      else if (msg.type === 'resize') painter.resize(msg.width, msg.height);
      else if (msg.type === 'fit') painter.setFit(msg.fit);
      else if (msg.type === 'clear') painter.clear();
      else if (msg.type === 'destroy') painter.destroy();
    }
  };
  scope.postMessage({ type: 'ready' });
}

/** The part of a worker's global scope `workerMain` uses (the DOM lib has no worker types here). */
interface DedicatedWorkerGlobalScopeLike {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

/** One renderer per canvas; same calls whichever thread paints. */
export interface FrameRenderer {
  submit(bytes: Uint8Array): void;
  resize(width: number, height: number): void;
  setFit(mode: FitMode): void;
  clear(): void;
  destroy(): void;
}

function workerSupported(canvas: HTMLCanvasElement): boolean {
  return (
    typeof Worker !== 'undefined' &&
    typeof OffscreenCanvas !== 'undefined' &&
    typeof canvas.transferControlToOffscreen === 'function' &&
    typeof URL !== 'undefined' &&
    typeof URL.createObjectURL === 'function'
  );
}

function startWorker(): { worker: Worker; url: string } | null {
  const source = `(${workerMain.toString()})(${createPainter.toString()}, ${fitRect.toString()});`;
  let url: string | null = null;
  try {
    url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    return { worker: new Worker(url), url };
  } catch {
    // CSP without `worker-src blob:` throws here in some browsers.
    if (url) URL.revokeObjectURL(url);
    return null;
  }
}

/**
 * Starts a renderer on `canvas`. Frames submitted before the worker answers
 * are held (newest only) and painted once the thread is chosen.
 */
export function createFrameRenderer(
  canvas: HTMLCanvasElement,
  thread: RenderThread,
  report: (stats: PainterStats) => void,
): FrameRenderer {
  let fit: FitMode = 'cover';
  let size = { width: canvas.width, height: canvas.height };
  let held: Uint8Array | null = null;
  let heldDrops = 0;
  let target: Painter | null = null;
  let destroyed = false;
  let worker: Worker | null = null;
  // Frames dropped while the thread was being chosen still count as dropped.
  const emit = (stats: PainterStats) =>
    report({ ...stats, received: stats.received + heldDrops, dropped: stats.dropped + heldDrops });

  const useMain = () => {
    if (destroyed || target) return;
    target = createPainter(canvas, 'main', emit, fitRect);
    adopt();
  };
  // Replays what arrived while the thread was being chosen.
  const adopt = () => {
    if (!target) return;
    target.setFit(fit);
    target.resize(size.width, size.height);
    if (held) target.submit(held);
    held = null;
  };

  const started = thread !== 'main' && workerSupported(canvas) ? startWorker() : null;
  if (!started) {
    useMain();
  } else {
    worker = started.worker;
    const post = (msg: ToWorker, transfer: Transferable[] = []) => worker?.postMessage(msg, transfer);
    let ready = false;
    const fallback = () => {
      worker?.terminate();
      worker = null;
      URL.revokeObjectURL(started.url);
      if (!ready) useMain();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fallback();
    };
    worker.onmessage = (event: MessageEvent) => {
      const msg = event.data as { type: string; stats?: PainterStats };
      if (msg.type === 'ready' && !ready && !destroyed) {
        ready = true;
        URL.revokeObjectURL(started.url);
        const offscreen = canvas.transferControlToOffscreen();
        post({ type: 'init', canvas: offscreen, fit, width: size.width, height: size.height }, [offscreen]);
        target = {
          // `bytes` is already the renderer's own copy, so it can be transferred.
          submit: (bytes) => post({ type: 'frame', buffer: bytes.buffer as ArrayBuffer }, [bytes.buffer as ArrayBuffer]),
          resize: (width, height) => post({ type: 'resize', width, height }),
          setFit: (mode) => post({ type: 'fit', fit: mode }),
          clear: () => post({ type: 'clear' }),
          destroy: () => post({ type: 'destroy' }),
        };
        if (held) target.submit(held);
        held = null;
      } else if (msg.type === 'stats' && msg.stats) {
        emit(msg.stats);
      }
    };
  }

  return {
    submit(bytes) {
      if (destroyed) return;
      // Always a fresh copy: the caller's view usually shares its buffer with
      // the WebSocket message other 'frame' listeners still read, the decode
      // is asynchronous, and the worker path transfers (detaches) the buffer.
      const copy = bytes.slice();
      if (target) return target.submit(copy);
      if (held) heldDrops++;
      held = copy;
    },
    resize(width, height) {
      size = { width, height };
      target?.resize(width, height);
    },
    setFit(mode) {
      fit = mode;
      target?.setFit(mode);
    },
    clear() {
      held = null;
      target?.clear();
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      held = null;
      target?.destroy();
      target = null;
      worker?.terminate();
      worker = null;
    },
  };
}
