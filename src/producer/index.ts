/**
 * `framestream/producer`: sends frames from a Node process (a model worker,
 * a capture loop) to a stream's ingest endpoint over
 * `framestream.producer.v1` (docs/producers.md). Node only: it uses `ws`.
 */
export { FrameProducer } from './producer.js';
export { PRODUCER_DEFAULTS } from './options.js';
export {
  FrameStreamError,
  isFrameStreamError,
  PRODUCER_SUBPROTOCOL,
  PRODUCER_CLOSE_CODES,
} from '../protocol/index.js';
export type { FrameStreamErrorCode, FrameMetrics } from '../protocol/index.js';
export type {
  FrameProducerEvents,
  FrameProducerOptions,
  ProducerCloseInfo,
  ProducerFrame,
  ProducerSession,
  ProducerSocket,
  ProducerStatus,
  ProducerWebSocketConstructor,
  ProducerWelcome,
  RawProducerFrame,
  SessionInput,
} from './types.js';
