import type { ClientSnapshot } from 'framestream/client';
import { roundTripOf } from './session.js';

/** The figures the React layer shows, flattened from a client snapshot. */
export interface StreamMetrics {
  /** Frames per second this viewer receives. */
  fps: number;
  /** Capture → receive latency percentiles, ms; `null` until measured (or for a bare-JPEG server). */
  latencyP50: number | null;
  latencyP95: number | null;
  /** Source time per frame (e.g. model inference), ms; `null` when the source reports none. */
  inferenceMs: number | null;
  /** Size of the last frame's JPEG, bytes; `null` until the server reports it. */
  frameBytes: number | null;
  /**
   * Frames lost to this viewer (its connection fell behind), from gaps in
   * the sequence and the server's `skipped`; frames its FPS cap left out are
   * not among them.
   */
  framesDropped: number;
  /** Frames the server left out on purpose because of this viewer's FPS cap. */
  framesCapped: number;
  framesReceived: number;
  /**
   * Interactive streams: camera frame captured → the output answering it
   * received, ms percentiles; `null` until measured, absent for a stream
   * without a session (and in metrics made by hand before the field).
   */
  roundTripP50?: number | null;
  roundTripP95?: number | null;
}

/** Metrics before anything was received. */
export const EMPTY_METRICS: StreamMetrics = Object.freeze({
  fps: 0,
  latencyP50: null,
  latencyP95: null,
  inferenceMs: null,
  frameBytes: null,
  framesDropped: 0,
  framesCapped: 0,
  framesReceived: 0,
});

const finite = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/**
 * Flattens a client snapshot into {@link StreamMetrics}. While not connected
 * the live figures (fps, latency, source time, frame size) are empty: only
 * a connection can make them current. The counts are totals and stay.
 */
export function snapshotMetrics(snapshot: ClientSnapshot | null): StreamMetrics {
  if (!snapshot) return EMPTY_METRICS;
  const { framesDropped, framesReceived } = snapshot.stats;
  // Snapshots made by hand (stories, tests) may lack the newer field.
  const framesCapped = snapshot.stats.framesCapped ?? 0;
  if (snapshot.status !== 'connected') return { ...EMPTY_METRICS, framesDropped, framesCapped, framesReceived };
  const server = snapshot.metrics;
  return {
    fps: snapshot.fps,
    latencyP50: snapshot.latency?.p50 ?? null,
    latencyP95: snapshot.latency?.p95 ?? null,
    // The source's own per-frame figure is the freshest; the server's window
    // median is the fallback.
    inferenceMs: finite(server?.source?.inferenceMs) ?? finite(server?.inferenceMs),
    frameBytes: finite(server?.frameBytes),
    framesDropped,
    framesCapped,
    framesReceived,
    roundTripP50: roundTripOf(snapshot)?.p50 ?? null,
    roundTripP95: roundTripOf(snapshot)?.p95 ?? null,
  };
}
