import { createPainter, fitRect, type FitMode, type Painter, type PainterStats } from './painter.js';
import { WorkerHost } from './worker-host.js';

/**
 * Chooses where frames are decoded and painted, and where they come from.
 *
 * - Given a client whose stream runs in a worker (see worker-client.ts), the
 *   canvas is transferred to that worker and painted there straight from the
 *   socket: the main thread does nothing per frame.
 * - Otherwise frames arrive on the main thread (a client's `'frame'` events
 *   or `submit`) and are painted in a worker of the canvas's own, started
 *   with the first frame, or on the main thread where workers with
 *   OffscreenCanvas are unavailable or refused.
 *
 * A worker that fails before it is ready leaves the canvas on the main
 * thread, fed through `'frame'` events.
 */

/** Which thread a renderer should use. */
export type RenderThread = 'auto' | 'worker' | 'main';

/** Anything that emits `'frame'` events with JPEG bytes: a `FrameStreamClient`, or a stand-in. */
export interface FrameEmitterLike {
  on(event: 'frame', listener: (frame: FrameLike) => void): unknown;
  off(event: 'frame', listener: (frame: FrameLike) => void): unknown;
}

/** The part of a frame the renderer reads. */
export interface FrameLike {
  data: Uint8Array;
  receivedTime?: number;
  latencyMs?: number | null;
}

/** A client that can paint canvases in the worker its stream runs in. */
export interface PaintHostProvider {
  /** The worker, while the stream runs there; `null` once it fell back to the main thread. */
  readonly paintHost: WorkerHost | null;
}

function paintHostOf(client: FrameEmitterLike | null | undefined): WorkerHost | null {
  const host = (client as Partial<PaintHostProvider> | null | undefined)?.paintHost;
  return host instanceof WorkerHost && !host.failed ? host : null;
}

/** Capture time on this machine's clock, when the frame carries what it takes. */
function capturedAt(frame: FrameLike): number | null {
  return typeof frame.receivedTime === 'number' && typeof frame.latencyMs === 'number' ? frame.receivedTime - frame.latencyMs : null;
}

/** One renderer per canvas; same calls whichever thread paints. */
export interface FrameRenderer {
  /** Paint a JPEG fed from the main thread. */
  submit(bytes: Uint8Array, capturedAt?: number | null): void;
  resize(width: number, height: number): void;
  setFit(mode: FitMode): void;
  clear(): void;
  destroy(): void;
}

export interface FrameRendererOptions {
  thread: RenderThread;
  report: (stats: PainterStats) => void;
  /** Paint this client's frames. */
  client?: FrameEmitterLike | null;
}

/**
 * Starts a renderer on `canvas`. Frames submitted before the painter is
 * ready are held (newest only) and painted once it is.
 */
export function createFrameRenderer(canvas: HTMLCanvasElement, options: FrameRendererOptions): FrameRenderer {
  const { thread, report, client } = options;
  let fit: FitMode = 'cover';
  let size = { width: canvas.width, height: canvas.height };
  let held: { bytes: Uint8Array; capturedAt: number | null } | null = null;
  let heldDrops = 0;
  let target: Painter | null = null;
  let starting = false;
  let destroyed = false;
  let ownHost: WorkerHost | null = null;
  let subscribed = false;
  // Frames dropped while the thread was being chosen still count as dropped.
  const emit = (stats: PainterStats) =>
    report({ ...stats, received: stats.received + heldDrops, dropped: stats.dropped + heldDrops });

  // Always a fresh copy: the frame's view shares its buffer with the message
  // other 'frame' listeners still read, the decode is asynchronous, and the
  // worker path transfers (detaches) the buffer.
  const onFrame = (frame: FrameLike) => submit(frame.data.slice(), capturedAt(frame));
  const subscribe = () => {
    if (!client || subscribed || destroyed) return;
    subscribed = true;
    client.on('frame', onFrame);
  };

  // Replays what arrived while the thread was being chosen.
  const adopt = (painter: Painter) => {
    target = painter;
    painter.setFit(fit);
    painter.resize(size.width, size.height);
    if (held) painter.submit(held.bytes, held.capturedAt);
    held = null;
  };
  const useMain = () => {
    if (destroyed || target) return;
    adopt(createPainter(canvas, 'main', emit, fitRect));
  };
  const useHost = (host: WorkerHost, fromClient: boolean) => {
    if (destroyed || target) return;
    const id = host.nextPainterId();
    const stopListening = host.onMessage((msg) => {
      if (msg.type === 'stats' && msg.id === id) emit(msg.stats);
    });
    const offscreen = canvas.transferControlToOffscreen();
    host.post({ type: 'paint-init', id, canvas: offscreen, fit, width: size.width, height: size.height, fromClient }, [offscreen]);
    const post = host.post.bind(host);
    adopt({
      submit: (bytes, at = null) =>
        post({ type: 'paint-frame', id, buffer: bytes.buffer as ArrayBuffer, capturedAt: at }, [bytes.buffer as ArrayBuffer]),
      resize: (width, height) => post({ type: 'paint-resize', id, width, height }),
      setFit: (mode) => post({ type: 'paint-fit', id, fit: mode }),
      clear: () => post({ type: 'paint-clear', id }),
      destroy: () => {
        post({ type: 'paint-destroy', id });
        stopListening();
      },
    });
  };
  const onHostFailed = () => {
    ownHost = null;
    useMain();
    subscribe();
  };

  // Starts the canvas's own painter, once there is something to paint.
  const start = () => {
    if (starting) return;
    starting = true;
    const host = thread === 'main' ? null : WorkerHost.start();
    if (!host) return useMain();
    ownHost = host;
    host.whenSettled(() => useHost(host, false), onHostFailed);
  };

  function submit(bytes: Uint8Array, at: number | null = null): void {
    if (destroyed) return;
    if (target) return target.submit(bytes, at);
    if (held) heldDrops++;
    held = { bytes, capturedAt: at };
    start();
  }

  const clientHost = thread === 'main' ? null : paintHostOf(client);
  if (clientHost) {
    starting = true; // painted in the client's worker, never in one of its own
    clientHost.whenSettled(() => useHost(clientHost, true), onHostFailed);
  } else {
    subscribe();
  }

  return {
    submit(bytes, at = null) {
      submit(bytes.slice(), at);
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
      if (subscribed) client?.off('frame', onFrame);
      target?.destroy();
      target = null;
      ownHost?.terminate();
      ownHost = null;
    },
  };
}
