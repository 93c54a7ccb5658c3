import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Failed attempts from one address in a window before it is refused outright.
const MAX_FAILURES = 5;
const WINDOW_MS = 60_000;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The token a producer presented: `Authorization: Bearer …`, or `?token=` where headers cannot be set. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^Bearer /i.test(header)) return header.slice(7).trim();
  const q = (req.url ?? '').indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams((req.url ?? '').slice(q + 1)).get('token') ?? undefined;
}

/**
 * Compares in constant time: both sides are hashed first, so neither the
 * comparison nor an early length mismatch tells an attacker how much of a
 * guess was right.
 */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(digest(expected), digest(given));
}

/**
 * Counts failed authentications per address, so a token cannot be brute
 * forced: past {@link MAX_FAILURES} in {@link WINDOW_MS}, the address is
 * refused without being checked until its window ends.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  /** ms until this address may try again, or 0. */
  blockedFor(address: string, now = Date.now()): number {
    const f = this.failures.get(address);
    if (!f) return 0;
    if (now - f.since >= WINDOW_MS) {
      this.failures.delete(address);
      return 0;
    }
    return f.count >= MAX_FAILURES ? WINDOW_MS - (now - f.since) : 0;
  }

  fail(address: string, now = Date.now()): void {
    const f = this.failures.get(address);
    if (!f || now - f.since >= WINDOW_MS) this.failures.set(address, { count: 1, since: now });
    else f.count++;
    // An attacker cycling addresses must not grow the map without end.
    if (this.failures.size > 10_000) {
      for (const [key, v] of this.failures) if (now - v.since >= WINDOW_MS) this.failures.delete(key);
      for (const key of this.failures.keys()) {
        if (this.failures.size <= 10_000) break;
        this.failures.delete(key); // oldest first
      }
    }
  }
}
