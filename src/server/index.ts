/**
 * `framestream/server`: attach a frame stream to the Node HTTP server you
 * already have. Node.js only; bundling it for the browser fails on purpose
 * (see `browser.ts`).
 */
import type { FrameStreamServerOptions } from './options.js';
import { FrameStreamServerImpl } from './stream.js';
import type { FrameStreamServer } from './types.js';

/**
 * Attaches a frame stream to an existing `http`/`https` server: WebSocket
 * upgrades on `path` and `GET` on `snapshotPath` become the stream's, every
 * other request and upgrade is left to the host app. Options are validated
 * at once (a `TypeError`/`RangeError` names the bad one).
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createFrameStreamServer } from 'framestream/server';
 *
 * const server = createServer(app);
 * const stream = createFrameStreamServer({ server }); // 512×512 noise, 30 FPS, on /ws/test/
 * stream.on('error', (err) => console.warn(err.code, err.message));
 * server.listen(8080);
 *
 * @example
 * // Frames from a model loop
 * const stream = createFrameStreamServer({ server, source: 'push' });
 * for (;;) {
 *   const { pixels, ms } = await model.step(); // Float32Array, 0-1, RGB
 *   stream.push({ data: pixels, width: 512, height: 512, channels: 3 }, { inferenceMs: ms });
 * }
 */
export function createFrameStreamServer(options: FrameStreamServerOptions): FrameStreamServer {
  return new FrameStreamServerImpl(options);
}

export { DEFAULTS as SERVER_DEFAULTS, type FrameStreamServerOptions } from './options.js';
export type { FrameStreamHub } from './cluster/hub.js';
export type {
  ClusterNode,
  ClusterStats,
  FrameSource,
  FrameStreamServer,
  FrameStreamServerEvents,
  InputFrame,
  PushFrame,
  RawFrame,
  ServerStats,
  Session,
  SessionEvents,
  SessionHandler,
  SourceFrame,
  ViewerHandle,
  ViewerInfo,
} from './types.js';
export {
  CLOSE_CODES,
  FrameStreamError,
  isFrameStreamError,
  SUBPROTOCOL,
  type FrameMeta,
  type FrameMetrics,
  type FrameStreamErrorCode,
} from '../protocol/index.js';
