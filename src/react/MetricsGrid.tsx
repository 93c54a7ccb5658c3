import type { StreamMetrics } from './metrics.js';

/** Shown for a figure that is not measured, or not live (after Disconnect). */
export const EMPTY_FIGURE = '—';

const fmt = (n: number | null | undefined, digits: number) =>
  typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : EMPTY_FIGURE;

/**
 * The figures of {@link Controls}. Live figures (FPS, latency, inference,
 * frame size) read as {@link EMPTY_FIGURE} unless `live`, so a panel that
 * was disconnected never shows the last values as if they were current.
 * Counters (dropped, capped) are totals and stay. Frames the viewer's own
 * FPS cap left out are shown apart from frames lost, while a cap is set or
 * once any were left out.
 */
export function MetricsGrid({
  metrics,
  live,
  capping,
  roundTrip = false,
}: {
  metrics: StreamMetrics;
  live: boolean;
  capping: boolean;
  /** Show the round trip (an interactive stream): camera capture → its output received. */
  roundTrip?: boolean;
}) {
  const shown = (n: number | null | undefined) => (live ? n : null);
  const capped = metrics.framesCapped;
  return (
    <dl data-testid="metrics" aria-label="Stream metrics" className="fs-metrics">
      <Metric label="FPS" testId="metric-fps" value={shown(metrics.fps)} text={fmt(shown(metrics.fps), 1)} />
      <Metric
        label="Latency"
        testId="metric-latency"
        value={shown(metrics.latencyP50)}
        text={fmt(shown(metrics.latencyP50), 0)}
        unit="ms"
        title={`p50 ${fmt(shown(metrics.latencyP50), 1)} ms, p95 ${fmt(shown(metrics.latencyP95), 1)} ms`}
      />
      <Metric
        label="Inference"
        testId="metric-inference"
        value={shown(metrics.inferenceMs)}
        text={fmt(shown(metrics.inferenceMs), 0)}
        unit="ms"
      />
      {roundTrip && (
        <Metric
          label="Round trip"
          testId="metric-round-trip"
          tight
          value={shown(metrics.roundTripP50)}
          text={fmt(shown(metrics.roundTripP50), 0)}
          unit="ms"
          title={`Camera frame captured → its output received: p50 ${fmt(shown(metrics.roundTripP50), 1)} ms, p95 ${fmt(shown(metrics.roundTripP95), 1)} ms`}
        />
      )}
      <Metric label="p95" testId="metric-latency-p95" value={shown(metrics.latencyP95)} text={fmt(shown(metrics.latencyP95), 0)} unit="ms" />
      <Metric
        label="Frame"
        testId="metric-frame-size"
        value={shown(metrics.frameBytes)}
        text={fmt(live && metrics.frameBytes !== null ? metrics.frameBytes / 1024 : null, 0)}
        unit="KB"
      />
      <Metric
        label="Dropped"
        testId="metric-dropped"
        value={metrics.framesDropped}
        text={String(metrics.framesDropped)}
        title="Frames lost: skipped by the server for a slow connection, or missing from the sequence"
      />
      {(capping || capped > 0) && (
        <Metric
          label="Capped"
          testId="metric-capped"
          value={capped}
          text={String(capped)}
          title="Frames skipped on purpose by this viewer's FPS cap"
        />
      )}
    </dl>
  );
}

function Metric(props: {
  label: string;
  testId: string;
  value: number | null | undefined;
  text: string;
  unit?: string;
  title?: string;
  /** A label too long for the cell's usual spacing ("Round trip"). */
  tight?: boolean;
}) {
  return (
    <div className={props.tight ? 'fs-metric fs-metric-tight' : 'fs-metric'} title={props.title}>
      <dt className="fs-metric-label">{props.label}</dt>
      <dd data-testid={props.testId} data-value={props.value ?? ''} className="fs-metric-value">
        {props.text}
        {props.unit && props.text !== EMPTY_FIGURE && <span className="fs-metric-unit">{props.unit}</span>}
      </dd>
    </div>
  );
}
