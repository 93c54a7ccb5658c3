/** One stream the playground serves. */
export interface PlaygroundStream {
  /** Built-in source of `createFrameStreamServer`. */
  source: 'noise' | 'pattern';
  /** Name shown in the source picker. */
  label: string;
  /** WebSocket path of the stream. */
  path: string;
  /** Path answering one JPEG of the stream over plain HTTP. */
  snapshotPath: string;
}

/** The playground's streams, in the order the source picker shows them. */
export declare const PLAYGROUND_STREAMS: readonly PlaygroundStream[];
