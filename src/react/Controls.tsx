import { useEffect, useState } from 'react';
import type { ClientSnapshot, ClientStatus, ConnectionFailure, SourceState } from 'framestream/client';
import { EMPTY_METRICS, type StreamMetrics } from './metrics.js';
import { MetricsGrid } from './MetricsGrid.js';
import { sessionOf, type SessionInfo } from './session.js';
import { PromptField, SessionStatus, usePromptParams } from './SessionPanel.js';
import type { FitMode } from './painter.js';
import { useSharedFit } from './settings.js';
import { SettingsMenu } from './SettingsMenu.js';
import type { UseFrameStreamResult } from './useFrameStream.js';
import { useDraggable, type Point } from './useDraggable.js';

/** The part of {@link useFrameStream}'s result that {@link Controls} reads. */
export type ControlsStream = Pick<
  UseFrameStreamResult,
  'status' | 'metrics' | 'client' | 'connect' | 'disconnect' | 'maxFps' | 'setMaxFps'
> & { snapshot?: ClientSnapshot | null };

/**
 * Props of {@link Controls}. Pass `stream` (the hook's result) and the panel
 * is wired: buttons, figures, fit and FPS cap. Every other prop overrides
 * what `stream` gives; a setting whose value prop is given (`fit`, `maxFps`,
 * `showMetrics`) is controlled by the app, otherwise by the panel.
 */
export interface ControlsProps {
  /**
   * The result of {@link useFrameStream}. Gives the status, figures, failure,
   * Connect/Disconnect/Retry, and applies the FPS cap (`setMaxFps`) and the
   * fit (to every `StreamCanvas` given the same `client` and no `fit`).
   * @default undefined
   */
  stream?: ControlsStream;
  /** Connection state shown by the indicator; decides which buttons are enabled. @default stream.status, else 'disconnected' */
  status?: ClientStatus;
  /** Figures to show. @default stream.metrics, else all empty */
  metrics?: StreamMetrics;
  /**
   * Why the last connection failed, with the URL: shown while `status` is
   * `'error'` (with Retry) or `'reconnecting'`. @default stream.snapshot.failure
   */
  failure?: Pick<ConnectionFailure, 'message'> & Partial<ConnectionFailure> | null;
  /**
   * Whether the stream's external producer is connected (a stream with an
   * ingest endpoint), `null` for a stream that does not say. While
   * `status` is `'connected'` and `online` is `false`, the panel says
   * "Waiting for producer" until a frame arrived (`metrics.framesReceived`),
   * then "Source offline since" the time it went, in local time.
   * @default stream.snapshot.source, else null
   */
  source?: SourceState | null;
  /**
   * The viewer's session on an interactive stream: queued (the panel says
   * its place in line), active (the prompt box, the time left when it has a
   * limit, and the round trip among the figures) or ended (and why); `null`
   * for a broadcast stream. @default stream.snapshot.session, else null
   */
  session?: SessionInfo | null;
  /**
   * Called with the prompt box's text as `{ prompt }`, debounced
   * (`paramsDelay`). @default stream.client.setParams
   */
  onParamsChange?: (params: { prompt: string }) => void;
  /** Text the prompt box starts with, sent as the params once a session is active. @default '' */
  defaultPrompt?: string;
  /** How long the prompt waits after the last key before it is sent, ms. @default 300 */
  paramsDelay?: number;
  /** Called by the Connect (and Retry) button. @default stream.connect (without a stream, the button is disabled) */
  onConnect?: () => void;
  /** Called by the Disconnect button. @default stream.disconnect (without a stream, the button is disabled) */
  onDisconnect?: () => void;
  /** Fit mode shown in settings; given, the app controls it. @default the stream's shared fit, 'cover' at first */
  fit?: FitMode;
  /** Called when the user picks a fit mode. @default undefined */
  onFitChange?: (fit: FitMode) => void;
  /** FPS cap shown in settings, `null` for none; given, the app controls it. @default stream.maxFps, else null */
  maxFps?: number | null;
  /** Called when the user picks a cap (after `stream.setMaxFps`, when uncontrolled). @default undefined */
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

const STATUS_TEXT: Record<ClientStatus, string> = {
  disconnected: 'Disconnected',
  queued: 'Queued',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  error: 'Connection failed',
};

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS` in local time, whatever the locale. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * The producer of an ingest stream is not connected. The viewer's own
 * connection is fine (the indicator stays "Connected") and the canvas keeps
 * the last frame, so this is a notice in the panel, not an overlay.
 */
function SourceNotice({ since, hasFrame }: { since: number | null; hasFrame: boolean }) {
  return (
    <div className="fs-source" data-testid="source-notice" data-source={hasFrame ? 'offline' : 'waiting'}>
      <span aria-hidden="true" className="fs-source-dot" />
      <div className="fs-source-text">
        <p role="status" className="fs-source-message" data-testid="source-message">
          {hasFrame ? (
            since === null ? (
              'Source offline'
            ) : (
              <>
                Source offline since{' '}
                <time dateTime={new Date(since).toISOString()} title={new Date(since).toLocaleString()}>
                  {clockTime(since)}
                </time>
              </>
            )
          ) : (
            'Waiting for producer'
          )}
        </p>
        <p className="fs-source-detail">{hasFrame ? 'Showing the last frame until it is back.' : 'Frames appear once a producer connects.'}</p>
      </div>
    </div>
  );
}

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

/**
 * The floating glass panel over a stream: a connection indicator that pulses
 * while connected, Connect and Disconnect buttons enabled only when they make
 * sense, live metrics, and a settings menu (fit mode, FPS cap, metrics on/off).
 * When the connection failed it says why and where, and offers Retry; when
 * the stream's external producer is away it says so (and since when).
 * Drag it by its title bar (or move it with the arrow keys); it stays on screen.
 *
 * Give it the hook's result and everything is wired; or feed it any status
 * for a mock-up. Styled by `framestream/react/styles.css` (classes `fs-*`).
 *
 * @example
 * const stream = useFrameStream({ url, autoConnect: true });
 * <StreamCanvas client={stream.client} />
 * <Controls stream={stream} />
 */
export function Controls(props: ControlsProps) {
  const { stream, title = 'framestream' } = props;
  const status = props.status ?? stream?.status ?? 'disconnected';
  const metrics = props.metrics ?? stream?.metrics ?? EMPTY_METRICS;
  const failure = props.failure !== undefined ? props.failure : (stream?.snapshot?.failure ?? null);
  const source = props.source !== undefined ? props.source : (stream?.snapshot?.source ?? null);
  const session = props.session !== undefined ? props.session : sessionOf(stream?.snapshot);
  const sendPrompt = usePromptParams(stream?.client ?? null, session, props.onParamsChange, props.defaultPrompt);
  const onConnect = props.onConnect ?? stream?.connect;
  const onDisconnect = props.onDisconnect ?? stream?.disconnect;

  // Fit: the app's when it passes `fit`; otherwise shared through the store
  // of the stream's client, where a StreamCanvas of the same client reads it.
  const client = stream?.client ?? null;
  const [sharedFit, setSharedFit] = useSharedFit(client);
  const [fit, setFit] = useControllable<FitMode>(props.fit ?? (client ? (sharedFit ?? 'cover') : undefined), 'cover', (next) => {
    if (props.fit === undefined) setSharedFit(next);
    props.onFitChange?.(next);
  });
  useEffect(() => {
    if (props.fit !== undefined) setSharedFit(props.fit);
  }, [props.fit, setSharedFit]);

  const [maxFps, setMaxFps] = useControllable<number | null>(
    props.maxFps !== undefined ? props.maxFps : stream?.maxFps,
    null,
    (next) => {
      if (props.maxFps === undefined) stream?.setMaxFps(next);
      props.onMaxFpsChange?.(next);
    },
  );
  const [showMetrics, setShowMetrics] = useControllable(props.showMetrics, true, props.onShowMetricsChange);
  const { boxRef, position, dragging, handleProps } = useDraggable(props.initialPosition ?? DEFAULT_POSITION);

  const failed = status === 'error';
  const sourceOffline = status === 'connected' && source?.online === false;
  // The server closed it on purpose (time limit, the model ended it): the session notice says why.
  const sessionEnded = session?.state === 'ended' && (failed || status === 'disconnected');
  const canConnect = !!onConnect && (status === 'disconnected' || failed);
  const canDisconnect =
    !!onDisconnect && (status === 'connecting' || status === 'connected' || status === 'reconnecting' || status === 'queued');

  return (
    <section
      ref={boxRef}
      aria-label="Stream controls"
      data-testid="framestream-controls"
      data-status={status}
      data-source={source && status === 'connected' ? (source.online ? 'online' : 'offline') : undefined}
      data-dragging={dragging ? '' : undefined}
      // Fixed by the component itself: the drag works in viewport
      // coordinates, so the panel is placed the same with or without the
      // stylesheet, above whatever it was rendered beside.
      style={{ position: 'fixed', left: position.x, top: position.y }}
      className={props.className ? `fs-controls ${props.className}` : 'fs-controls'}
    >
      <div className="fs-controls-header">
        <div
          {...handleProps}
          role="button"
          tabIndex={0}
          aria-label="Move panel (drag, or use the arrow keys)"
          data-testid="controls-handle"
          className="fs-controls-handle fs-focusable"
        >
          <svg aria-hidden="true" viewBox="0 0 12 20" width="10" height="16" className="fs-controls-grip" fill="currentColor">
            {[3, 10, 17].flatMap((y) => [<circle key={`a${y}`} cx="3" cy={y} r="1.6" />, <circle key={`b${y}`} cx="9" cy={y} r="1.6" />])}
          </svg>
          <span className="fs-controls-title">{title}</span>
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

      <div className="fs-controls-body">
        <div className="fs-status" data-testid="status-indicator" data-status={status}>
          <span aria-hidden="true" className="fs-status-light">
            {status === 'connected' && <span className="fs-status-ping" />}
            <span className="fs-status-dot" />
          </span>
          <span role="status" aria-live="polite" className="fs-status-text">
            {sessionEnded ? 'Disconnected' : STATUS_TEXT[status]}
          </span>
        </div>

        {(failed || (status === 'reconnecting' && failure)) && !sessionEnded && (
          <div className="fs-failure" data-testid="failure">
            <p className="fs-failure-message" data-testid="failure-message">
              {failure?.message ?? 'The connection failed.'}
            </p>
            {failure?.url && (
              <code className="fs-failure-url" data-testid="failure-url">
                {failure.url}
              </code>
            )}
          </div>
        )}

        {sourceOffline && <SourceNotice since={source.offlineSince} hasFrame={metrics.framesReceived > 0} />}

        {session && <SessionStatus session={session} />}
        {session && !session.spectator && session.state !== 'ended' && (
          <PromptField
            onChange={sendPrompt}
            delay={props.paramsDelay ?? 300}
            defaultValue={props.defaultPrompt ?? ''}
          />
        )}

        <div className="fs-controls-actions">
          <button
            type="button"
            onClick={onConnect}
            disabled={!canConnect}
            data-testid="connect-button"
            className="fs-button fs-button-primary fs-focusable"
          >
            {sessionEnded ? 'New session' : failed ? 'Retry' : 'Connect'}
          </button>
          <button
            type="button"
            onClick={onDisconnect}
            disabled={!canDisconnect}
            data-testid="disconnect-button"
            className="fs-button fs-button-secondary fs-focusable"
          >
            Disconnect
          </button>
        </div>

        {showMetrics && <MetricsGrid metrics={metrics} live={status === 'connected'} capping={maxFps !== null} roundTrip={session !== null} />}
      </div>
    </section>
  );
}
