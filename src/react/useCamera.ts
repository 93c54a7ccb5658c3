import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { applyTarget, startCapture } from './capture.js';
import { acceptsInput, type SessionClient } from './session.js';

/**
 * Where the camera is:
 * - `off`: not asked for (`enabled: false`, or before the first effect);
 * - `asking`: waiting for the user to allow it;
 * - `denied`: the user (or the page's permissions policy) said no;
 * - `no-camera`: there is no camera to open;
 * - `error`: something else failed (the camera is in use elsewhere, an
 *   insecure page, the camera went away); `error` says what;
 * - `running`: open; frames go to the stream while its session is active;
 * - `paused`: open, but nothing is sent (and the track is disabled).
 */
export type CameraState = 'off' | 'asking' | 'denied' | 'no-camera' | 'error' | 'running' | 'paused';

/** Options of {@link useCamera}. */
export interface UseCameraOptions {
  /**
   * The stream client the frames go through (the `client` of
   * `useFrameStream`): anything with `sendFrame`. With `getSnapshot`, frames
   * are sent only while it is connected in an active session of its own.
   * `null`: the camera may open, nothing is sent.
   */
  client: SessionClient | null;
  /** Width frames are sent at, px. @default the stream's width (its hello), else 512 */
  width?: number;
  /** Height frames are sent at, px. @default the stream's height, else 512 */
  height?: number;
  /** Frames sent per second at most. @default the stream's fps, else 30 */
  fps?: number;
  /** JPEG quality in (0, 1] the client encodes at. @default the client's (0.8) */
  quality?: number;
  /** `false` leaves the camera closed (state `off`); turned off, the camera is released. @default true */
  enabled?: boolean;
  /** Keep the camera but send nothing (state `paused`). @default false */
  paused?: boolean;
  /** Which camera on a phone. @default 'user' */
  facingMode?: 'user' | 'environment';
  /** A specific camera, from `navigator.mediaDevices.enumerateDevices()`. @default undefined */
  deviceId?: string;
  /**
   * How the camera is opened; for stories and tests. Read when the camera
   * is opened. @default navigator.mediaDevices.getUserMedia
   */
  getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
}

/** What {@link useCamera} returns. */
export interface UseCameraResult {
  state: CameraState;
  /** The open camera, for a preview (`video.srcObject`); `null` unless `running` or `paused`. */
  stream: MediaStream | null;
  /** Why the state is `denied`, `no-camera` or `error`. */
  error: Error | null;
  /** Frames go to the stream now: running, and the client accepts input. */
  sending: boolean;
  /** The size and rate frames are sent at. */
  width: number;
  height: number;
  fps: number;
  /** Asks for the camera again (after `denied`, `no-camera` or `error`). */
  retry: () => void;
}

const DEFAULT_SIZE = 512;
const DEFAULT_FPS = 30;

const noSubscribe = () => () => {};
const noSnapshot = () => null;

function checkPositive(name: string, value: number | undefined, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value > 0 && value <= max)) {
    throw new RangeError(`Expected \`${name}\` to be a number in (0, ${max}], got \`${String(value)}\``);
  }
}

/** Sorts a getUserMedia failure into the state a user is shown. */
export function cameraFailureState(error: unknown): 'denied' | 'no-camera' | 'error' {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') return 'no-camera';
  return 'error';
}

/**
 * Opens the camera and sends its frames through a stream's socket with
 * `client.sendFrame`, at the stream's input size and at most `fps` a second.
 * Frames are captured as `VideoFrame`s (Chromium's
 * `MediaStreamTrackProcessor`) or `ImageBitmap`s and handed to the client,
 * which encodes them in its worker when it has one: the page's main thread
 * never encodes a JPEG.
 *
 * Sends only while the client is connected in an active session of its own
 * (not queued, not a spectator). The camera's tracks and every timer are
 * stopped on unmount, and a camera granted after unmount (Strict Mode's
 * double mount) is stopped at once.
 *
 * @example
 * const stream = useFrameStream({ url: '/ws/img2img/', autoConnect: true });
 * const camera = useCamera({ client: stream.client });
 * if (camera.state === 'denied') return <p>Allow the camera to take part.</p>;
 */
export function useCamera(options: UseCameraOptions): UseCameraResult {
  const { client, enabled = true, paused = false, facingMode = 'user', deviceId } = options;
  checkPositive('width', options.width, 8192);
  checkPositive('height', options.height, 8192);
  checkPositive('fps', options.fps, 240);
  checkPositive('quality', options.quality, 1);

  const subscribe = useMemo(() => (client?.subscribe ? client.subscribe.bind(client) : noSubscribe), [client]);
  const getSnapshot = useMemo(() => (client?.getSnapshot ? client.getSnapshot.bind(client) : noSnapshot), [client]);
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, noSnapshot);
  const info = snapshot?.stats.stream;
  const width = Math.round(options.width ?? info?.width ?? DEFAULT_SIZE);
  const height = Math.round(options.height ?? info?.height ?? DEFAULT_SIZE);
  const fps = options.fps ?? (info?.fps ? info.fps : DEFAULT_FPS);
  // A client that reports no snapshot cannot say; it gets every frame.
  const accepts = !!client && (!client.getSnapshot || acceptsInput(snapshot));

  const [opened, setOpened] = useState<{ state: CameraState; stream: MediaStream | null; error: Error | null }>({
    state: 'off',
    stream: null,
    error: null,
  });
  const [attempt, setAttempt] = useState(0);
  const getUserMediaRef = useRef(options.getUserMedia);
  getUserMediaRef.current = options.getUserMedia;
  // What the camera is asked for when it opens; a later change of size or
  // rate is applied to the open track (and met by cropping and pacing),
  // never by reopening the camera.
  const idealRef = useRef({ width, height, fps });
  idealRef.current = { width, height, fps };

  // Open the camera; close it on unmount, when disabled, or for another camera.
  useEffect(() => {
    if (!enabled) {
      setOpened({ state: 'off', stream: null, error: null });
      return;
    }
    let cancelled = false;
    let media: MediaStream | null = null;
    const stopTracks = (s: MediaStream) => s.getTracks().forEach((t) => t.stop());
    setOpened({ state: 'asking', stream: null, error: null });
    const open =
      getUserMediaRef.current ??
      (typeof navigator !== 'undefined' && navigator.mediaDevices?.getUserMedia
        ? (c: MediaStreamConstraints) => navigator.mediaDevices.getUserMedia(c)
        : null);
    if (!open) {
      setOpened({
        state: 'error',
        stream: null,
        error: new Error('This page cannot use a camera: getUserMedia needs a secure context (https: or localhost)'),
      });
      return;
    }
    // Near the size and rate sent, so the camera (and the browser's scaler)
    // does no more work than needed; ideals only, never a refusal.
    const ideal = idealRef.current;
    const video: MediaTrackConstraints = {
      ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode }),
      width: { ideal: ideal.width },
      height: { ideal: ideal.height },
      frameRate: { ideal: ideal.fps },
    };
    open({ audio: false, video }).then(
      (stream) => {
        if (cancelled) return stopTracks(stream);
        media = stream;
        const track = stream.getVideoTracks()[0];
        if (!track) {
          stopTracks(stream);
          setOpened({ state: 'no-camera', stream: null, error: new Error('The camera gave no video track') });
          return;
        }
        track.addEventListener('ended', () => {
          if (cancelled) return;
          setOpened({ state: 'error', stream: null, error: new Error('The camera stopped (unplugged, or its permission was withdrawn)') });
        });
        setOpened({ state: 'running', stream, error: null });
      },
      (error: unknown) => {
        if (cancelled) return;
        setOpened({ state: cameraFailureState(error), stream: null, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      cancelled = true;
      if (media) stopTracks(media);
    };
  }, [enabled, facingMode, deviceId, attempt]);

  const track = opened.state === 'running' ? (opened.stream?.getVideoTracks()[0] ?? null) : null;

  // The stream's size may come after the camera opened (its hello): the
  // preview follows it, without reopening the camera.
  useEffect(() => {
    if (track) applyTarget(track, { width, height, fps });
  }, [track, width, height, fps]);

  // Paused: the track is disabled (black, and the camera light may go out).
  useEffect(() => {
    if (track) track.enabled = !paused;
  }, [track, paused]);

  const sending = !!track && !paused && accepts;
  const quality = options.quality;
  useEffect(() => {
    if (!sending || !track || !client) return;
    const stop = startCapture(track, {
      fps,
      width,
      height,
      send: (frame, captureTime) => {
        let result: unknown;
        try {
          result = client.sendFrame(frame, { width, height, captureTime, ...(quality !== undefined && { quality }) });
        } catch (error) {
          frame.close();
          throw error;
        }
        // A dropped frame is closed here too, in case the client did not.
        if (result === 'dropped' || result === false) frame.close();
      },
      // Capture stopped (a decode failed, the client threw): release the
      // camera and say so, rather than look running. Try again reopens it.
      onError: (error) => {
        track.stop();
        const message = error instanceof Error ? error.message : String(error);
        setOpened((current) =>
          current.stream?.getVideoTracks()[0] === track
            ? { state: 'error', stream: null, error: new Error(`Sending camera frames failed: ${message}`) }
            : current,
        );
      },
    });
    return stop;
  }, [sending, track, client, fps, width, height, quality]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return {
    state: opened.state === 'running' && paused ? 'paused' : opened.state,
    stream: opened.stream,
    error: opened.error,
    sending,
    width,
    height,
    fps,
    retry,
  };
}
