import type { FrameStreamError } from '../../protocol/index.js';
import type { FrameSource } from '../types.js';
import type { SourceAdapter } from './adapter.js';
import type { FrameLimits } from './frames.js';
import { IterableAdapter } from './iterable.js';
import { PushSource } from './push.js';
import { TimedAdapter } from './timed.js';

export type { FrameSink, PushAdapter, SourceAdapter, SourcePace } from './adapter.js';

export interface AdapterContext extends FrameLimits {
  width: number;
  height: number;
  sourceTimeout: number;
  error: (err: FrameStreamError) => void;
}

/** The adapter for a {@link FrameSource} value (already validated by the options). */
export function createSourceAdapter(source: FrameSource, ctx: AdapterContext): SourceAdapter {
  if (source === 'noise' || source === 'pattern') return new TimedAdapter(source, ctx);
  if (source === 'push') return new PushSource(ctx);
  return new IterableAdapter(source, ctx);
}
