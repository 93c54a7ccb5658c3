/**
 * Small counters behind the client's `fps` and `latency` figures. They take
 * timestamps as arguments instead of reading a clock, so they are plain
 * arithmetic and can be checked without waiting for real time to pass.
 */

/**
 * The last `capacity` values in a ring buffer, with percentiles on demand.
 * Adding is O(1); a percentile sorts a copy of at most `capacity` numbers,
 * which for the default 120 costs microseconds and only happens when someone
 * asks.
 */
export class RollingWindow {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;

  /** @param capacity how many of the latest values are kept */
  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** How many values are held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Adds a value, forgetting the oldest one when full. */
  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Forgets every value. */
  clear(): void {
    this.next = 0;
    this.count = 0;
  }

  /**
   * Nearest-rank percentiles (`ps` in [0, 100]) of the values held, in the
   * order asked; `null` when empty.
   */
  percentiles(ps: readonly number[]): number[] | null {
    if (this.count === 0) return null;
    const sorted = this.values.slice(0, this.count).sort();
    return ps.map((p) => {
      const rank = Math.ceil((p / 100) * sorted.length);
      return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
    });
  }
}

/**
 * Frames per second over fixed windows: `count()` on every frame,
 * `sample(now)` once per window returns the rate since the last sample.
 *
 * Dividing by the time that really passed (not the nominal interval) keeps
 * the figure right when a busy event loop fires the interval late.
 */
export class FpsMeter {
  private frames = 0;
  private since: number | null = null;

  /** Starts a fresh window at `now` (ms), forgetting any frames counted. */
  reset(now: number): void {
    this.frames = 0;
    this.since = now;
  }

  /** Counts one frame in the current window. */
  count(): void {
    this.frames++;
  }

  /** The rate over `[last sample, now]`, then starts the next window. */
  sample(now: number): number {
    const since = this.since ?? now;
    const elapsed = now - since;
    const fps = elapsed > 0 ? (this.frames * 1000) / elapsed : 0;
    this.reset(now);
    return fps;
  }
}
