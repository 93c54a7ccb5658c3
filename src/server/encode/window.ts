/**
 * The last `size` samples of a figure, for medians that follow the stream
 * without keeping its whole history.
 */
export class SampleWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 60) {}

  add(value: number): void {
    if (this.samples.length < this.size) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }

  /** Median of the samples held, `undefined` when there are none. */
  median(): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const m = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return Math.round(m * 100) / 100;
  }
}

/** Counts events over the last `spanMs` to report a rate per second. */
export class RateMeter {
  private readonly times: number[] = [];

  constructor(private readonly spanMs = 1000) {}

  mark(now = performance.now()): void {
    this.times.push(now);
    this.trim(now);
  }

  perSecond(now = performance.now()): number {
    this.trim(now);
    return Math.round(((this.times.length * 1000) / this.spanMs) * 10) / 10;
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= now - this.spanMs) drop++;
    if (drop) this.times.splice(0, drop);
  }
}
