import type { FrameStreamServerOptions } from '../src/server/index.js';

/** What every stream the playground serves has. */
interface StreamBase {
  /** Name shown in the source picker. */
  label: string;
  /** WebSocket path of the stream. */
  path: string;
  /** Path answering one JPEG of the stream over plain HTTP (503 before the first frame). */
  snapshotPath: string;
}

/** A stream with a built-in source of `createFrameStreamServer`. */
export interface BuiltInStream extends StreamBase {
  /** The built-in source, also the stream's name (`?source=`). */
  source: 'noise' | 'pattern';
  ingestPath?: undefined;
}

/** A stream fed by an external producer through an ingest endpoint. */
export interface ProducerStream extends StreamBase {
  /** The stream's name (`?source=producer`). */
  source: 'producer';
  /** The producer's WebSocket path (`ws://host:port/ingest/producer`). */
  ingestPath: string;
}

/** One stream the playground serves. */
export type PlaygroundStream = BuiltInStream | ProducerStream;

/** The playground's streams, in the order the source picker shows them. */
export declare const PLAYGROUND_STREAMS: readonly PlaygroundStream[];

/** The interactive img2img stream the page's img2img view connects to. */
export declare const IMG2IMG_STREAM: Readonly<{ label: string; path: string }>;

/** `createFrameStreamServer` options of `stream`, apart from `server`. */
export declare function streamOptions(
  stream: PlaygroundStream,
  settings: { fps: number; token: string },
): Omit<FrameStreamServerOptions, 'server'>;
