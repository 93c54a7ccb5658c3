/** A rate limit: at most `messages` per `perMs`, with bursts up to `messages`. */
export interface RateLimit {
  messages: number;
  perMs: number;
}

/**
 * Token bucket for one kind of message from one viewer: `'ok'`, `'limited'`
 * (drop this message and tell the viewer) or `'abusive'` (it kept going for
 * another full bucket: disconnect).
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();
  private overdraft = 0;

  constructor(private readonly limit: RateLimit) {
    this.tokens = limit.messages;
  }

  take(now = performance.now()): 'ok' | 'limited' | 'abusive' {
    const { messages, perMs } = this.limit;
    this.tokens = Math.min(messages, this.tokens + ((now - this.refilledAt) * messages) / perMs);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.overdraft = 0;
      return 'ok';
    }
    this.overdraft += 1;
    return this.overdraft > messages ? 'abusive' : 'limited';
  }
}
