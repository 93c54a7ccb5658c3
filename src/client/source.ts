import type { ServerMetrics } from '../protocol/index.js';
import type { SourceState } from './types.js';

/**
 * Reads whether the stream's source is online from a server `metrics`
 * message: a stream fed by an external producer (the ingest endpoint)
 * reports `sourceOnline` (1 or 0) and, while offline, `sourceOfflineSince`
 * on the server's wall clock. Returns `null` for streams that report
 * neither (their source is inside the server and never goes away).
 *
 * `clockOffsetMs` (server clock minus client clock, as measured for
 * latency) turns the server's time into the client's, so a UI can compare
 * it with `Date.now()` or show it as local time; without an estimate the
 * server's time is taken as it is.
 */
export function readSourceState(metrics: ServerMetrics, clockOffsetMs: number | null): SourceState | null {
  const online = metrics.sourceOnline;
  if (typeof online !== 'number' || !Number.isFinite(online)) return null;
  if (online !== 0) return { online: true, offlineSince: null };
  const since = metrics.sourceOfflineSince;
  if (typeof since !== 'number' || !Number.isFinite(since)) return { online: false, offlineSince: null };
  return { online: false, offlineSince: Math.round(since - (clockOffsetMs ?? 0)) };
}

/**
 * Whether `next` says something new about the source. The time a source
 * went offline is compared as the server stated it (`serverSince`), not as
 * converted: a better clock estimate moves the converted time by a few
 * milliseconds, which is no change a UI should re-render for.
 */
export class SourceTracker {
  private state: SourceState | null = null;
  private serverSince: number | undefined;

  /** The current state; the same object until {@link update} or {@link clear} replaces it. */
  get current(): SourceState | null {
    return this.state;
  }

  /** Takes a metrics message; returns `true` when the state changed (a new object is then current). */
  update(metrics: ServerMetrics, clockOffsetMs: number | null): boolean {
    const next = readSourceState(metrics, clockOffsetMs);
    const serverSince = next && !next.online ? metrics.sourceOfflineSince : undefined;
    const prev = this.state;
    if (prev === next || (prev && next && prev.online === next.online && this.serverSince === serverSince)) return false;
    this.state = next && Object.freeze(next);
    this.serverSince = serverSince;
    return true;
  }

  /** Forgets the state (the connection ended); returns `true` when there was one. */
  clear(): boolean {
    const had = this.state !== null;
    this.state = null;
    this.serverSince = undefined;
    return had;
  }
}
