/**
 * The producer's side of `framestream.producer.v1` flow control: the server
 * grants `credits` in its `welcome`, each frame sent spends one, each
 * `credit` message returns some. With none left, only the newest frame is
 * kept and goes out when a credit returns: latest wins, nothing queues.
 *
 * Pure bookkeeping over a generic frame, so it is tested without a socket.
 *
 * @example
 * const gate = new CreditGate<Frame>();
 * gate.open(2);
 * gate.offer(a); // a: send it
 * gate.offer(b); // b
 * gate.offer(c); // undefined: held
 * gate.offer(d); // undefined: held, c is dropped
 * gate.credit(1); // d: send it
 */
export class CreditGate<T> {
  /** Frames the server allows in flight (its `welcome.credits`); 0 while not admitted. */
  granted = 0;
  /** Credits in hand: frames that may be sent now. */
  available = 0;
  /** Frames replaced while held, since construction. */
  replaced = 0;
  private held: T | undefined;

  /** Frames sent and not yet credited back. */
  get inFlight(): number {
    return this.granted - this.available;
  }

  /** Whether a frame waits for a credit. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /**
   * Admitted with `credits`: every credit is in hand (frames of an earlier
   * connection are gone with it). Returns the held frame to send now, if any.
   */
  open(credits: number): T | undefined {
    this.granted = credits;
    this.available = credits;
    return this.take();
  }

  /** The connection ended: nothing may be sent; a held frame stays for the next one. */
  shut(): void {
    this.granted = 0;
    this.available = 0;
  }

  /**
   * A new frame: returned when a credit is in hand (spent on it; send it
   * now), otherwise held in place of any frame held before, and `undefined`.
   */
  offer(frame: T): T | undefined {
    if (this.held !== undefined) this.replaced++;
    this.held = frame;
    return this.take();
  }

  /**
   * `n` credits came back. Never more than granted are kept: a server that
   * over-credits must not let the producer run further ahead than it said.
   * Returns the held frame to send now, if any.
   */
  credit(n: number): T | undefined {
    this.available = Math.min(this.granted, this.available + n);
    return this.take();
  }

  /** Forgets the held frame (the producer closed). */
  clear(): void {
    this.held = undefined;
  }

  private take(): T | undefined {
    if (this.held === undefined || this.available < 1) return undefined;
    const frame = this.held;
    this.held = undefined;
    this.available--;
    return frame;
  }
}
