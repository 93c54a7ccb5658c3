import { FrameStreamError, wallClockMs, type FrameMetrics } from '../../protocol/index.js';
import type { SourceFrame } from '../types.js';
import type { FrameSink, SourceAdapter } from './adapter.js';
import { unwrapSourceFrame, validateFrame, validateMetrics, type FrameLimits, type ValidFrame } from './frames.js';

export type IterableSource = AsyncIterable<SourceFrame> | (() => AsyncIterable<SourceFrame>);

export interface IterableOptions extends FrameLimits {
  /** ms a `next()` may take before it is reported as hung (once per call). */
  sourceTimeout: number;
  /** A runtime failure of the source (it threw, hung, yielded garbage); the stream carries on. */
  error: (err: FrameStreamError) => void;
  /** The iterator said it is done. */
  finished?: () => void;
}

// A failing source (factory or iterator) is tried again after this long, not every tick.
const RETRY_MS = 1000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * An async iterable, or a function returning one, pulled one `next()` at a
 * time at the stream's pace.
 *
 * The source is app code (often a hand-written bridge to a model), so
 * nothing it does may reach the host: a `next()` that throws, rejects,
 * resolves to something other than `{ done, value }`, never settles or
 * settles after it was replaced is reported through the sink and nothing
 * else. Each iterator gets a generation number, and only the current
 * generation's answer may touch the pull state; an iterator is never asked
 * for `next()` while a call on it is still outstanding (two concurrent calls
 * break hand-written iterators and would double a model's work).
 */
export class IterableAdapter implements SourceAdapter {
  readonly name = 'iterable';
  readonly pace = 'pulled';
  private sink: FrameSink | undefined;
  private iterator: AsyncIterator<SourceFrame> | undefined;
  private generation = 0;
  private pulling = false;
  private used = false; // a plain iterable runs once; it cannot be restarted
  private retryAt = 0;
  private hangTimer: NodeJS.Timeout | undefined;
  // Iterators with a `next()` still outstanding, even from an old
  // generation: a factory that hands out the same object twice must not be
  // asked again before it answered.
  private readonly outstanding = new WeakSet<object>();

  constructor(
    private readonly source: IterableSource,
    private readonly o: IterableOptions,
  ) {}

  start(sink: FrameSink): void {
    this.sink = sink;
  }

  stop(): void {
    this.sink = undefined;
    // A factory's iterable is made again on the next demand; a plain
    // iterable cannot be restarted, so it is only paused.
    if (typeof this.source === 'function') this.dropIterator();
  }

  still(): ValidFrame | undefined {
    return undefined; // a snapshot must never start a model
  }

  close(): void {
    this.sink = undefined;
    this.dropIterator();
  }

  next(): void {
    if (this.pulling || !this.sink) return;
    const it = this.currentIterator();
    if (!it || this.outstanding.has(it)) return;
    const generation = this.generation;
    this.pulling = true;
    this.outstanding.add(it);
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(it.next());
    } catch (cause) {
      answer = Promise.reject(cause);
    }
    // A hung model neither yields nor fails, so nothing else would tell the
    // app; the call is still awaited, since a slow source may yet answer.
    clearTimeout(this.hangTimer);
    this.hangTimer = setTimeout(() => {
      if (generation === this.generation) {
        this.report('ERR_SOURCE_TIMEOUT', `Frame source did not yield within ${this.o.sourceTimeout} ms`);
      }
    }, this.o.sourceTimeout).unref();
    answer
      .then(
        (result) => this.settled(it, generation, result),
        (cause: unknown) => {
          this.outstanding.delete(it);
          if (generation !== this.generation) return;
          this.endPull();
          this.fail(`Frame source failed: ${message(cause)}`, cause);
        },
      )
      // settled() guards itself; this is the last line against a rejection
      // nobody handles, whatever an app's iterator does.
      .catch((cause: unknown) => this.report('ERR_SOURCE_FAILED', `Frame source failed: ${message(cause)}`, cause));
  }

  private settled(it: AsyncIterator<SourceFrame>, generation: number, result: unknown): void {
    this.outstanding.delete(it);
    if (generation !== this.generation) return; // replaced meanwhile: its answer is not ours
    this.endPull();
    const captureTime = wallClockMs();
    let valid: ValidFrame;
    let metrics: FrameMetrics | undefined;
    try {
      if (typeof result !== 'object' || result === null) {
        return this.fail(`Frame source's next() resolved to ${describe(result)}, not an iterator result { done, value }`);
      }
      const { done, value } = result as IteratorResult<SourceFrame>;
      if (done) {
        this.iterator = undefined;
        this.o.finished?.();
        return;
      }
      const { frame, metrics: m } = unwrapSourceFrame(value);
      valid = validateFrame(frame, this.o, 'source frame');
      metrics = validateMetrics(m, 'source frame metrics');
    } catch (cause) {
      return this.report('ERR_INVALID_FRAME', message(cause), cause);
    }
    this.sink?.frame(valid, metrics, captureTime);
  }

  private endPull(): void {
    this.pulling = false;
    clearTimeout(this.hangTimer);
  }

  private currentIterator(): AsyncIterator<SourceFrame> | undefined {
    if (this.iterator) return this.iterator;
    if (performance.now() < this.retryAt) return undefined;
    const source = this.source;
    try {
      let iterable: unknown = source;
      if (typeof source === 'function') {
        iterable = source();
      } else if (this.used) {
        return undefined; // exhausted or failed: a plain iterable cannot be restarted
      }
      this.used = true;
      const make = (iterable as AsyncIterable<SourceFrame> | null | undefined)?.[Symbol.asyncIterator];
      if (typeof make !== 'function') {
        throw new TypeError(`Expected the \`source\` function to return an async iterable, got ${describe(iterable)}`);
      }
      const it = make.call(iterable) as AsyncIterator<SourceFrame> | null | undefined;
      if (typeof it?.next !== 'function') {
        throw new TypeError(`Expected the source's [Symbol.asyncIterator]() to return an iterator, got ${describe(it)}`);
      }
      this.generation++;
      return (this.iterator = it);
    } catch (cause) {
      this.retryAt = performance.now() + RETRY_MS;
      this.report('ERR_SOURCE_FAILED', `Frame source failed to start: ${message(cause)}`, cause);
      return undefined;
    }
  }

  /** The current iterator failed: drop it; a factory is called again after {@link RETRY_MS}. */
  private fail(text: string, cause?: unknown): void {
    this.dropIterator();
    this.retryAt = performance.now() + RETRY_MS;
    this.report('ERR_SOURCE_FAILED', text, cause);
  }

  private dropIterator(): void {
    const it = this.iterator;
    this.iterator = undefined;
    this.generation++;
    this.endPull();
    if (typeof it?.return !== 'function') return;
    // Lets a generator run its `finally`; its own failure there is not ours to report twice.
    Promise.resolve()
      .then(() => it.return!())
      .catch(() => {});
  }

  private report(code: 'ERR_SOURCE_FAILED' | 'ERR_SOURCE_TIMEOUT' | 'ERR_INVALID_FRAME', text: string, cause?: unknown): void {
    try {
      this.o.error(new FrameStreamError(code, text, cause === undefined ? undefined : { cause }));
    } catch {
      // The stream's reporter guards the app's listeners itself.
    }
  }
}
