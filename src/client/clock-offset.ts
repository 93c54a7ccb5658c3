/** One ping/pong (or hello) measurement. */
interface Sample {
  offset: number;
  rtt: number;
  /** Bytes the server had queued ahead of the pong; `undefined` when it did not say (older servers, hello). */
  queued: number | undefined;
}

/**
 * Estimates `server clock - client clock` from ping/pong round trips, the way
 * NTP does: a ping leaves at client time t0, the server stamps it `serverTime`,
 * the pong arrives at t3. Assuming the two legs take equally long,
 * `offset = serverTime - (t0 + t3) / 2`, wrong by at most half the round trip.
 * So of the recent samples the one with the shortest round trip is the most
 * trustworthy, and that is the one used.
 *
 * A pong that waited in the server's socket behind frames makes the return
 * leg longer than the outward one, which biases the offset low (and every
 * latency with it) by half the wait. A server that says how many bytes were
 * queued ahead of the pong (`queuedBytes`) lets such samples be passed over:
 * a sample with nothing queued is preferred to any that queued, whatever its
 * round trip. Samples from a server that does not say are taken as they are.
 */
export class ClockOffsetEstimator {
  private samples: Sample[] = [];

  /** @param keep how many recent samples to choose from */
  constructor(private readonly keep = 8) {}

  /** The current estimate in ms, or `null` before the first sample. */
  get offsetMs(): number | null {
    return this.best()?.offset ?? null;
  }

  /**
   * How far off {@link offsetMs} can be, ms: half the round trip of the
   * sample it comes from (latencies can be wrong by as much); `null` before
   * the first round trip.
   */
  get errorMs(): number | null {
    const best = this.best();
    return best && best.rtt !== Number.MAX_VALUE ? best.rtt / 2 : null;
  }

  /** Round trips held (at most `keep`). */
  get roundTrips(): number {
    return this.samples.filter((s) => s.rtt !== Number.MAX_VALUE).length;
  }

  /**
   * Records a pong: `t0` when the ping left, `serverTime` from the pong, `t3`
   * when it came back, and the pong's `queuedBytes` when the server sent it.
   */
  addRoundTrip(t0: number, serverTime: number, t3: number, queuedBytes?: number): void {
    const rtt = t3 - t0;
    if (!(rtt >= 0) || !Number.isFinite(serverTime)) return; // a clock jumped backwards; ignore
    const queued = typeof queuedBytes === 'number' && queuedBytes >= 0 ? queuedBytes : undefined;
    this.add({ offset: serverTime - (t0 + t3) / 2, rtt, queued });
  }

  /**
   * Records a one-way stamp such as the server's `hello`. Its round trip is
   * unknown, so it counts as the least trustworthy sample and only stands in
   * until the first pong.
   */
  addOneWay(serverTime: number, receivedTime: number): void {
    if (!Number.isFinite(serverTime)) return;
    this.add({ offset: serverTime - receivedTime, rtt: Number.MAX_VALUE, queued: undefined });
  }

  /** Forgets every sample (a new connection may reach another server). */
  clear(): void {
    this.samples = [];
  }

  private best(): Sample | undefined {
    let best: Sample | undefined;
    for (const s of this.samples) if (!best || better(s, best)) best = s;
    return best;
  }

  private add(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > this.keep) this.samples.shift();
  }
}

/** Any round trip beats a one-way stamp; nothing queued beats something queued; then the shorter round trip wins. */
function better(a: Sample, b: Sample): boolean {
  const aOneWay = a.rtt === Number.MAX_VALUE;
  if (aOneWay !== (b.rtt === Number.MAX_VALUE)) return !aOneWay;
  const aQueued = a.queued !== undefined && a.queued > 0;
  const bQueued = b.queued !== undefined && b.queued > 0;
  if (aQueued !== bQueued) return bQueued;
  return a.rtt < b.rtt;
}
