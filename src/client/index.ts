/**
 * `framestream/client`: the framework-free viewer side. Runs in browsers and
 * in Node (pass `WebSocket` from `ws` where there is no global one).
 */
export { FrameStreamClient } from './client.js';
export { createBackoffPolicy, BACKOFF_DEFAULTS, type BackoffPolicyOptions } from './backoff.js';
export { CLIENT_DEFAULTS } from './options.js';
export { readJpegSize } from '../protocol/jpeg.js';
export { FrameStreamError, isFrameStreamError, SUBPROTOCOL } from '../protocol/index.js';
export type { FrameStreamErrorCode, FrameMeta, FrameMetrics, ServerMetrics, StreamInfo } from '../protocol/index.js';
export type * from './types.js';
export type { FrameStreamClientOptions } from './client-options.js';
export type { InputFrameSource, SendFrameOptions } from './encode.js';
export type { SendFrameResult } from './input.js';
