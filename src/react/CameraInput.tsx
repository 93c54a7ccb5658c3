import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { useCamera, type CameraState, type UseCameraOptions, type UseCameraResult } from './useCamera.js';

/** Props of {@link CameraInput}: the options of {@link useCamera}, and how the box looks. */
export interface CameraInputProps extends Omit<UseCameraOptions, 'paused'> {
  /** Paused, controlled by the app; without it the Pause button decides. @default undefined (uncontrolled, not paused) */
  paused?: boolean;
  /** Called when the user clicks Pause or Resume. @default undefined */
  onPausedChange?: (paused: boolean) => void;
  /** Called with every state change, e.g. to say more in the app when `denied`. @default undefined */
  onStateChange?: (state: CameraState, camera: UseCameraResult) => void;
  /** Accessible name of the box. @default 'Camera' */
  label?: string;
  /** Extra classes for the box (beside `fs-camera`). @default '' */
  className?: string;
  style?: CSSProperties;
}

const STATE_TEXT: Record<CameraState, string> = {
  off: 'Camera off',
  asking: 'Allow the camera…',
  denied: 'Camera blocked',
  'no-camera': 'No camera found',
  error: 'Camera failed',
  running: 'Camera on',
  paused: 'Paused',
};

const DETAIL: Partial<Record<CameraState, string>> = {
  asking: 'Your browser is asking whether this page may use the camera.',
  denied: "Allow the camera in the browser's site settings, then try again.",
  'no-camera': 'Connect a camera, then try again.',
};

/**
 * The camera as the input of an interactive stream: a small live preview
 * and its state (asking, denied, no camera, running, paused), with Pause/
 * Resume, and Try again after a refusal. A thin wrapper over
 * {@link useCamera}, which opens the camera and sends its frames through
 * `client.sendFrame`. Styled by `framestream/react/styles.css` (`fs-camera*`).
 *
 * Stable hooks for tests: `data-testid="camera-input"` with `data-state`
 * and `data-sending`, `camera-preview`, `camera-state`, `camera-pause`,
 * `camera-retry`.
 *
 * @example
 * const stream = useFrameStream({ url: '/ws/img2img/', autoConnect: true });
 * <StreamCanvas client={stream.client} />
 * <CameraInput client={stream.client} />
 */
export function CameraInput(props: CameraInputProps) {
  const { paused: pausedProp, onPausedChange, onStateChange, label = 'Camera', className, style, ...options } = props;
  const [localPaused, setLocalPaused] = useState(false);
  const paused = pausedProp ?? localPaused;
  const camera = useCamera({ ...options, paused });
  const { state, stream, error, sending } = camera;

  const onStateChangeRef = useRef(onStateChange);
  onStateChangeRef.current = onStateChange;
  const cameraRef = useRef(camera);
  cameraRef.current = camera;
  // A block body: whatever the app's callback returns must not become the effect's cleanup.
  useEffect(() => {
    onStateChangeRef.current?.(state, cameraRef.current);
  }, [state]);

  const videoRef = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    video.srcObject = stream;
    if (stream) void Promise.resolve(video.play()).catch(() => {});
  }, [stream]);

  const open = state === 'running' || state === 'paused';
  const failed = state === 'denied' || state === 'no-camera' || state === 'error';
  const togglePause = () => {
    if (pausedProp === undefined) setLocalPaused(!paused);
    onPausedChange?.(!paused);
  };

  return (
    <section
      aria-label={label}
      data-testid="camera-input"
      data-state={state}
      data-sending={sending ? 'true' : 'false'}
      className={className ? `fs-camera ${className}` : 'fs-camera'}
      style={style}
    >
      <div className="fs-camera-preview" data-state={state}>
        <video ref={videoRef} muted playsInline autoPlay data-testid="camera-preview" className="fs-camera-video" hidden={!open} />
        {!open && <CameraIcon crossed={failed} />}
      </div>
      <div className="fs-camera-body">
        <p role="status" aria-live="polite" className="fs-camera-state" data-testid="camera-state">
          <span aria-hidden="true" className="fs-camera-dot" />
          {STATE_TEXT[state]}
        </p>
        {state === 'running' && (
          <p className="fs-camera-sub" data-testid="camera-sending">
            {sending ? `Sending ${camera.width}×${camera.height}, ${camera.fps} fps` : 'Waiting for a session'}
          </p>
        )}
        {(DETAIL[state] || (state === 'error' && error)) && (
          <p className="fs-camera-detail" data-testid="camera-detail">
            {state === 'error' ? error?.message : DETAIL[state]}
          </p>
        )}
        {open && (
          <button type="button" onClick={togglePause} data-testid="camera-pause" className="fs-button fs-button-secondary fs-focusable fs-camera-button">
            {paused ? 'Resume' : 'Pause'}
          </button>
        )}
        {failed && (
          <button type="button" onClick={camera.retry} data-testid="camera-retry" className="fs-button fs-button-primary fs-focusable fs-camera-button">
            Try again
          </button>
        )}
      </div>
    </section>
  );
}

function CameraIcon({ crossed }: { crossed: boolean }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" width="28" height="28" className="fs-camera-icon" fill="none" stroke="currentColor" strokeWidth="1.6">
      <rect x="3" y="6.5" width="13" height="11" rx="2" />
      <path d="M16 10.5l5-3v9l-5-3z" strokeLinejoin="round" />
      {crossed && <path d="M3 3l18 18" strokeLinecap="round" />}
    </svg>
  );
}
