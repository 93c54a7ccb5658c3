import { useState } from 'react';
import type { ClientStatus } from 'framestream/client';
import { EMPTY_METRICS, type StreamMetrics } from './metrics.js';
import type { FitMode } from './painter.js';
import { SettingsMenu } from './SettingsMenu.js';
import { useDraggable, type Point } from './useDraggable.js';

/** Props of {@link Controls}. Settings are controlled when given, internal otherwise. */
export interface ControlsProps {
  /** Connection state shown by the indicator; decides which buttons are enabled. */
  status: ClientStatus;
  /** Figures to show. @default all empty */
  metrics?: StreamMetrics;
  /** Called by the Connect button. @default undefined (button disabled) */
  onConnect?: () => void;
  /** Called by the Disconnect button. @default undefined (button disabled) */
  onDisconnect?: () => void;
  /** Fit mode shown in settings. @default 'cover' (uncontrolled) */
  fit?: FitMode;
  /** Called when the user picks a fit mode. @default undefined */
  onFitChange?: (fit: FitMode) => void;
  /** FPS cap shown in settings, `null` for none. @default null (uncontrolled) */
  maxFps?: number | null;
  /** Called when the user picks a cap; pass it to `setMaxFps` so the server honours it. @default undefined */
  onMaxFpsChange?: (fps: number | null) => void;
  /** Caps offered in settings. @default [null, 60, 30, 15, 10, 5, 1] */
  maxFpsOptions?: readonly (number | null)[];
  /** Whether the metrics are shown. @default true (uncontrolled) */
  showMetrics?: boolean;
  /** Called when the user toggles metrics. @default undefined */
  onShowMetricsChange?: (show: boolean) => void;
  /** Heading of the panel. @default 'framestream' */
  title?: string;
  /** Where the panel starts, CSS px from the top-left corner. @default { x: 16, y: 16 } */
  initialPosition?: Point;
  /** Extra classes for the panel. @default '' */
  className?: string;
}

const DEFAULT_FPS_OPTIONS = [null, 60, 30, 15, 10, 5, 1] as const;
const DEFAULT_POSITION: Point = { x: 16, y: 16 };
const FOCUS = 'outline-none focus-visible:ring-2 focus-visible:ring-[#B5CC9A] focus-visible:ring-offset-2 focus-visible:ring-offset-black';

const STATUS_TEXT: Record<ClientStatus, string> = {
  disconnected: 'Disconnected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  error: 'Error',
};
const STATUS_DOT: Record<ClientStatus, string> = {
  disconnected: 'bg-neutral-500',
  connecting: 'bg-[#9CA986] animate-pulse',
  connected: 'bg-[#B5CC9A]',
  reconnecting: 'bg-amber-300 animate-pulse',
  error: 'bg-red-400',
};

/** A value the parent controls when it passes one, or local state when it does not. */
function useControllable<T>(value: T | undefined, initial: T, onChange?: (v: T) => void): [T, (v: T) => void] {
  const [local, setLocal] = useState(initial);
  const controlled = value !== undefined;
  return [
    controlled ? value : local,
    (next) => {
      if (!controlled) setLocal(next);
      onChange?.(next);
    },
  ];
}

const fmt = (n: number | null, digits: number) => (n === null ? '–' : n.toFixed(digits));

/**
 * The floating glass panel over a stream: a connection indicator that pulses
 * while connected, Connect and Disconnect buttons enabled only when they make
 * sense, live metrics, and a settings menu (fit mode, FPS cap, metrics on/off).
 * Drag it by its title bar (or move it with the arrow keys); it stays on screen.
 *
 * Purely presentational: wire it to {@link useFrameStream}, or feed it any
 * status for a mock-up. Styled with Tailwind; see docs/react.md for the
 * `@source` line an app needs so Tailwind generates its classes.
 *
 * @example
 * const s = useFrameStream({ url });
 * <Controls status={s.status} metrics={s.metrics} onConnect={s.connect} onDisconnect={s.disconnect}
 *   maxFps={s.maxFps} onMaxFpsChange={s.setMaxFps} fit={fit} onFitChange={setFit} />
 */
export function Controls(props: ControlsProps) {
  const { status, metrics = EMPTY_METRICS, title = 'framestream' } = props;
  const [fit, setFit] = useControllable<FitMode>(props.fit, 'cover', props.onFitChange);
  const [maxFps, setMaxFps] = useControllable<number | null>(props.maxFps, null, props.onMaxFpsChange);
  const [showMetrics, setShowMetrics] = useControllable(props.showMetrics, true, props.onShowMetricsChange);
  const { boxRef, position, dragging, handleProps } = useDraggable(props.initialPosition ?? DEFAULT_POSITION);

  const canConnect = !!props.onConnect && (status === 'disconnected' || status === 'error');
  const canDisconnect = !!props.onDisconnect && (status === 'connecting' || status === 'connected' || status === 'reconnecting');

  return (
    <section
      ref={boxRef}
      aria-label="Stream controls"
      data-testid="framestream-controls"
      data-status={status}
      style={{ left: position.x, top: position.y }}
      className={`fixed z-50 w-72 rounded-2xl border border-[#B5CC9A]/20 bg-black/45 text-[#B5CC9A] shadow-2xl shadow-black/70 backdrop-blur-xl ${dragging ? 'select-none' : ''} ${props.className ?? ''}`}
    >
      <div className="flex items-center gap-2 border-b border-[#B5CC9A]/10 py-2 pl-2 pr-2">
        <div
          {...handleProps}
          role="button"
          tabIndex={0}
          aria-label="Move panel (drag, or use the arrow keys)"
          data-testid="controls-handle"
          className={`flex flex-1 touch-none items-center gap-2 rounded-lg px-2 py-1.5 ${dragging ? 'cursor-grabbing' : 'cursor-grab'} ${FOCUS}`}
        >
          <svg aria-hidden="true" viewBox="0 0 12 20" className="h-4 w-2.5 shrink-0 text-[#8B9A7E]" fill="currentColor">
            {[3, 10, 17].flatMap((y) => [<circle key={`a${y}`} cx="3" cy={y} r="1.6" />, <circle key={`b${y}`} cx="9" cy={y} r="1.6" />])}
          </svg>
          <span className="text-sm font-semibold tracking-wide text-[#B5CC9A]">{title}</span>
        </div>
        <SettingsMenu
          fit={fit}
          onFitChange={setFit}
          maxFps={maxFps}
          onMaxFpsChange={setMaxFps}
          maxFpsOptions={props.maxFpsOptions ?? DEFAULT_FPS_OPTIONS}
          showMetrics={showMetrics}
          onShowMetricsChange={setShowMetrics}
        />
      </div>

      <div className="space-y-3 p-4">
        <div className="flex items-center gap-2.5" data-testid="status-indicator" data-status={status}>
          <span aria-hidden="true" className="relative flex size-3">
            {status === 'connected' && (
              <span className="absolute inline-flex size-full animate-ping rounded-full bg-[#B5CC9A] opacity-60" />
            )}
            <span className={`relative inline-flex size-3 rounded-full ${STATUS_DOT[status]}`} />
          </span>
          <span role="status" aria-live="polite" className="text-sm text-[#B5CC9A]/90">
            {STATUS_TEXT[status]}
          </span>
        </div>

        <div className="grid grid-cols-2 gap-2">
          <button
            type="button"
            onClick={props.onConnect}
            disabled={!canConnect}
            data-testid="connect-button"
            className={`rounded-lg bg-[#8B9A7E] px-3 py-2 text-sm font-semibold text-black transition hover:bg-[#9CA986] disabled:cursor-not-allowed disabled:opacity-35 disabled:hover:bg-[#8B9A7E] ${FOCUS}`}
          >
            Connect
          </button>
          <button
            type="button"
            onClick={props.onDisconnect}
            disabled={!canDisconnect}
            data-testid="disconnect-button"
            className={`rounded-lg border border-[#8B9A7E]/60 px-3 py-2 text-sm font-semibold text-[#B5CC9A] transition hover:bg-[#8B9A7E]/15 disabled:cursor-not-allowed disabled:opacity-35 disabled:hover:bg-transparent ${FOCUS}`}
          >
            Disconnect
          </button>
        </div>

        {showMetrics && (
          <dl data-testid="metrics" aria-label="Stream metrics" className="grid grid-cols-3 gap-2 text-center">
            <Metric label="FPS" testId="metric-fps" value={metrics.fps} text={fmt(metrics.fps, 1)} />
            <Metric
              label="Latency"
              testId="metric-latency"
              value={metrics.latencyP50}
              text={fmt(metrics.latencyP50, 0)}
              unit="ms"
              title={`p50 ${fmt(metrics.latencyP50, 1)} ms, p95 ${fmt(metrics.latencyP95, 1)} ms`}
            />
            <Metric label="Inference" testId="metric-inference" value={metrics.inferenceMs} text={fmt(metrics.inferenceMs, 0)} unit="ms" />
            <Metric label="p95" testId="metric-latency-p95" value={metrics.latencyP95} text={fmt(metrics.latencyP95, 0)} unit="ms" />
            <Metric
              label="Frame"
              testId="metric-frame-size"
              value={metrics.frameBytes}
              text={metrics.frameBytes === null ? '–' : (metrics.frameBytes / 1024).toFixed(0)}
              unit="KB"
            />
            <Metric label="Dropped" testId="metric-dropped" value={metrics.framesDropped} text={String(metrics.framesDropped)} />
          </dl>
        )}
      </div>
    </section>
  );
}

function Metric(props: { label: string; testId: string; value: number | null; text: string; unit?: string; title?: string }) {
  return (
    <div className="rounded-lg bg-white/5 px-2 py-1.5" title={props.title}>
      <dt className="text-[10px] font-medium uppercase tracking-wider text-[#9CA986]">{props.label}</dt>
      <dd data-testid={props.testId} data-value={props.value ?? ''} className="font-mono text-base tabular-nums text-[#B5CC9A]">
        {props.text}
        {props.unit && props.text !== '–' && <span className="ml-0.5 text-[10px] text-[#9CA986]">{props.unit}</span>}
      </dd>
    </div>
  );
}
