/**
 * The framestream worker. Built into one script (build/stream-worker.mjs) and
 * started from a Blob URL by worker-host.ts.
 *
 * It paints: each painter owns a canvas the main thread transferred here, so
 * JPEG decoding and drawing never touch the page's main thread. It can also
 * own the stream: a FrameStreamClient here receives every WebSocket message
 * on this thread and hands each frame to the painters attached to it, so the
 * main thread does no work at all per frame. What the page shows (status,
 * FPS, latency, metrics) crosses over as the client's snapshot, which changes
 * about once a second, not once a frame.
 */
import { FrameStreamClient, isFrameStreamError, type Frame } from '../client/index.js';
import { createPainter, fitRect, type Painter } from './painter.js';
import { releaseFrame } from './worker-input.js';
import type { ForwardedEvents, FromWorker, ToWorker } from './worker-protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

const painters = new Map<number, Painter>();
/** Painters fed by the client rather than by the main thread. */
const fedByClient = new Set<number>();
let client: FrameStreamClient | null = null;
let forward: ForwardedEvents = { frame: false, latency: false };

/** The frame's capture time on this machine's clock, or `null` when the server's clock is not known yet. */
function capturedAt(frame: Frame): number | null {
  return frame.latencyMs === null ? null : frame.receivedTime - frame.latencyMs;
}

function onClientFrame(frame: Frame): void {
  // `frame.data` views this message's own buffer, which nothing reuses; the
  // painter copies it into a Blob for decoding, so no copy is needed here.
  const at = capturedAt(frame);
  for (const id of fedByClient) painters.get(id)?.submit(frame.data, at);
  if (forward.frame) {
    const data = frame.data.slice();
    post({ type: 'client-event', event: 'frame', args: [{ ...frame, data }] }, [data.buffer]);
  }
}

function createClient(options: ToWorker & { type: 'client-create' }): void {
  // The main thread applies the input FPS cap before a frame crosses, so
  // frames it let through are not capped twice against a later clock.
  const created = new FrameStreamClient({ ...options.options, autoConnect: false, maxInputFps: Infinity });
  client = created;
  created.on('frame', onClientFrame);
  created.on('latency', (sample) => forward.latency && post({ type: 'client-event', event: 'latency', args: [sample] }));
  for (const event of ['status', 'open', 'fps', 'metrics', 'source', 'session', 'reconnecting', 'control', 'close'] as const) {
    created.on(event, (...args: unknown[]) => post({ type: 'client-event', event, args }));
  }
  created.on('error', (error) => {
    const code = isFrameStreamError(error) ? error.code : 'ERR_SOCKET';
    post({ type: 'client-error', code, message: error.message });
  });
  created.subscribe(() => post({ type: 'client-snapshot', snapshot: created.getSnapshot() }));
  post({ type: 'client-snapshot', snapshot: created.getSnapshot() });
}

scope.onmessage = (event) => {
  // An exception here would reach the page as the worker's `error` event,
  // after the canvases were transferred; report it and keep serving.
  try {
    handle(event.data);
  } catch (err) {
    console.error('framestream worker:', err);
  }
};

function handle(msg: ToWorker): void {
  switch (msg.type) {
    case 'paint-init': {
      const painter = createPainter(msg.canvas, 'worker', (stats) => post({ type: 'stats', id: msg.id, stats }), fitRect);
      painter.setFit(msg.fit);
      painter.resize(msg.width, msg.height);
      painters.set(msg.id, painter);
      if (msg.fromClient) fedByClient.add(msg.id);
      return;
    }
    case 'paint-frame':
      return painters.get(msg.id)?.submit(new Uint8Array(msg.buffer), msg.capturedAt);
    case 'paint-resize':
      return painters.get(msg.id)?.resize(msg.width, msg.height);
    case 'paint-fit':
      return painters.get(msg.id)?.setFit(msg.fit);
    case 'paint-clear':
      return painters.get(msg.id)?.clear();
    case 'paint-destroy':
      painters.get(msg.id)?.destroy();
      painters.delete(msg.id);
      fedByClient.delete(msg.id);
      return;
    case 'client-create':
      return createClient(msg);
    case 'client-connect':
      return client?.connect();
    case 'client-disconnect':
      return client?.disconnect();
    case 'client-set-max-fps':
      client?.setMaxFps(msg.fps);
      return;
    case 'client-send':
      client?.send(JSON.parse(msg.json));
      return;
    case 'client-forward':
      forward = msg.events;
      return;
    case 'client-send-frame':
      // Encoded here, off the page's main thread; a frame the client
      // refuses or drops is closed by it.
      if (client) client.sendFrame(msg.frame, msg.options);
      else releaseFrame(msg.frame);
      return;
    case 'client-set-params':
      client?.setParams(msg.params);
      return;
  }
}

post({ type: 'ready' });
