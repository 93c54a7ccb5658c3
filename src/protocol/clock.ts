/**
 * Wall-clock milliseconds with sub-millisecond resolution.
 *
 * `Date.now()` only resolves whole milliseconds, which is the same order as
 * the latencies we measure on loopback. `performance.timeOrigin + now()` is
 * wall-clock based too (so server and client stamps are comparable after the
 * ping/pong offset correction) and exists in Node and every browser.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
