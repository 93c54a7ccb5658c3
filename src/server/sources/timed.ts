import { wallClockMs } from '../../protocol/index.js';
import { renderNoise, renderPattern, type RgbImage } from './builtin.js';
import type { FrameSink, SourceAdapter } from './adapter.js';
import type { ValidFrame } from './frames.js';

/** The built-in test sources: a frame rendered on the event loop at every tick. */
export class TimedAdapter implements SourceAdapter {
  readonly pace = 'timed';
  private sink: FrameSink | undefined;
  private frameNumber = 0;

  constructor(
    readonly name: 'noise' | 'pattern',
    private readonly size: { width: number; height: number },
  ) {}

  start(sink: FrameSink): void {
    this.sink = sink;
  }

  next(): void {
    if (!this.sink) return;
    this.sink.frame(this.render(this.frameNumber++), undefined, wallClockMs());
  }

  stop(): void {
    this.sink = undefined;
  }

  still(): ValidFrame {
    return this.render(this.frameNumber++);
  }

  close(): void {
    this.sink = undefined;
  }

  private render(n: number): ValidFrame {
    const { width, height } = this.size;
    const img: RgbImage = this.name === 'noise' ? renderNoise(width, height) : renderPattern(width, height, n);
    return { kind: 'raw', ...img };
  }
}
