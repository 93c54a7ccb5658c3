/**
 * Estimates `server clock - client clock` from ping/pong round trips, the way
 * NTP does: a ping leaves at client time t0, the server stamps it `serverTime`,
 * the pong arrives at t3. Assuming the two legs take equally long,
 * `offset = serverTime - (t0 + t3) / 2`, wrong by at most half the round trip.
 * So of the recent samples the one with the shortest round trip is the most
 * trustworthy, and that is the one used.
 */
export class ClockOffsetEstimator {
  private samples: { offset: number; rtt: number }[] = [];

  /** @param keep how many recent samples to choose from */
  constructor(private readonly keep = 8) {}

  /** The current estimate in ms, or `null` before the first sample. */
  get offsetMs(): number | null {
    let best: { offset: number; rtt: number } | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best ? best.offset : null;
  }

  /** Records a pong: `t0` when the ping left, `serverTime` from the pong, `t3` when it came back. */
  addRoundTrip(t0: number, serverTime: number, t3: number): void {
    const rtt = t3 - t0;
    if (!(rtt >= 0) || !Number.isFinite(serverTime)) return; // a clock jumped backwards; ignore
    this.add({ offset: serverTime - (t0 + t3) / 2, rtt });
  }

  /**
   * Records a one-way stamp such as the server's `hello`. Its round trip is
   * unknown, so it counts as the least trustworthy sample and only stands in
   * until the first pong.
   */
  addOneWay(serverTime: number, receivedTime: number): void {
    if (!Number.isFinite(serverTime)) return;
    this.add({ offset: serverTime - receivedTime, rtt: Number.MAX_VALUE });
  }

  /** Forgets every sample (a new connection may reach another server). */
  clear(): void {
    this.samples = [];
  }

  private add(sample: { offset: number; rtt: number }): void {
    this.samples.push(sample);
    if (this.samples.length > this.keep) this.samples.shift();
  }
}
