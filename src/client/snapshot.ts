import type { ClientSnapshot, ClientStats } from './types.js';

/**
 * Snapshot bookkeeping for `subscribe()`/`getSnapshot()`, the pair React's
 * `useSyncExternalStore` reads. React re-renders whenever `getSnapshot()`
 * returns a different object, so a fresh one is made only when a figure a UI
 * shows has changed; a candidate equal to the current one is thrown away.
 */
export class SnapshotStore {
  private current: ClientSnapshot;
  private readonly listeners = new Set<() => void>();

  /** @param initial the snapshot before anything happened */
  constructor(initial: ClientSnapshot) {
    this.current = freeze(initial);
  }

  /** The current snapshot; the same object until {@link update} replaces it. */
  get(): ClientSnapshot {
    return this.current;
  }

  /** Adds a change listener; returns the function that removes it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear();
  }

  /**
   * Replaces the snapshot with `next` unless nothing visible differs, then
   * tells every subscriber. A throwing subscriber is handed to `onError` and
   * the others are still told.
   */
  update(next: ClientSnapshot, onError: (err: unknown) => void): void {
    if (sameSnapshot(this.current, next)) return;
    this.current = freeze(next);
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        onError(err);
      }
    }
  }
}

function freeze(s: ClientSnapshot): ClientSnapshot {
  Object.freeze(s.stats);
  if (s.stats.latency) Object.freeze(s.stats.latency);
  if (s.stats.roundTrip) Object.freeze(s.stats.roundTrip);
  if (s.latency) Object.freeze(s.latency);
  if (s.metrics) Object.freeze(s.metrics);
  if (s.source) Object.freeze(s.source);
  if (s.session) Object.freeze(s.session);
  return Object.freeze(s);
}

function sameStats(a: Readonly<ClientStats>, b: Readonly<ClientStats>): boolean {
  return (
    a.status === b.status &&
    a.framesReceived === b.framesReceived &&
    a.framesDropped === b.framesDropped &&
    a.framesCapped === b.framesCapped &&
    a.bytesReceived === b.bytesReceived &&
    a.fps === b.fps &&
    a.latency?.p50 === b.latency?.p50 &&
    a.latency?.p95 === b.latency?.p95 &&
    a.clockOffsetMs === b.clockOffsetMs &&
    a.clockOffsetErrorMs === b.clockOffsetErrorMs &&
    a.reconnectAttempt === b.reconnectAttempt &&
    a.stream === b.stream &&
    a.framed === b.framed &&
    a.roundTrip?.p50 === b.roundTrip?.p50 &&
    a.roundTrip?.p95 === b.roundTrip?.p95 &&
    a.inputInFlight === b.inputInFlight
  );
}

function sameSnapshot(a: ClientSnapshot, b: ClientSnapshot): boolean {
  return (
    a.status === b.status &&
    a.fps === b.fps &&
    a.latency?.p50 === b.latency?.p50 &&
    a.latency?.p95 === b.latency?.p95 &&
    a.metrics === b.metrics &&
    a.url === b.url &&
    a.failure === b.failure &&
    a.source === b.source &&
    a.session === b.session &&
    sameStats(a.stats, b.stats)
  );
}
