/**
 * Pulls frames from a camera track at a given rate and hands each to `send`
 * as a `VideoFrame` or an `ImageBitmap`, already cropped to the target's
 * aspect, for the client to scale, encode (in its worker when it has one)
 * and send. `send` owns the frame it is given.
 *
 * Two ways, best first:
 * - `MediaStreamTrackProcessor` (Chromium): the camera's own `VideoFrame`s,
 *   no decode into a `<video>` and no copy on this thread; a cropped view
 *   of one is a new frame over the same memory. Frames over the rate are
 *   closed at once.
 * - Elsewhere, a hidden `<video>` and `createImageBitmap(video, crop,
 *   { resizeWidth, resizeHeight })` on a timer: the browser scales on the
 *   GPU and the bitmap crosses to a worker by transfer.
 */

/** Chromium's MediaStreamTrackProcessor; not in TypeScript's DOM types. */
interface TrackProcessor {
  readonly readable: ReadableStream<VideoFrame>;
}
type TrackProcessorConstructor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => TrackProcessor;

export interface CaptureOptions {
  /** Frames per second at most. */
  fps: number;
  /** Target size: frames are cropped (centred) to its aspect; bitmaps are also scaled to it. */
  width: number;
  height: number;
  /** Called with each frame to send and its capture time (ms since the epoch); owns the frame. */
  send: (frame: VideoFrame | ImageBitmap, captureTime: number) => void;
  /** A frame could not be captured (the track ended, a decode failed). */
  onError?: (error: unknown) => void;
}

/** Starts capturing from `track`; the returned function stops it and releases everything it made. */
export function startCapture(track: MediaStreamTrack, options: CaptureOptions): () => void {
  const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor;
  if (typeof Processor === 'function' && typeof VideoFrame === 'function') return captureWithProcessor(Processor, track, options);
  return captureWithVideo(track, options);
}

/** The centred crop of a `w`×`h` image to the aspect of `width`×`height`, on even pixels (4:2:0 frames need them). */
export function cropToAspect(w: number, h: number, width: number, height: number): { x: number; y: number; width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  if (w * height > h * width) {
    const cw = Math.min(w, even((h * width) / height));
    return { x: Math.floor((w - cw) / 4) * 2, y: 0, width: cw, height: h };
  }
  const ch = Math.min(h, even((w * height) / width));
  return { x: 0, y: Math.floor((h - ch) / 4) * 2, width: w, height: ch };
}

/**
 * Lets through at most `fps` frames a second. Frames arrive with jitter, so
 * one due a few ms early still goes: a 30 fps camera at a 30 fps cap sends
 * every frame, not every other.
 */
export function createPacer(fps: number): (now: number) => boolean {
  const interval = 1000 / fps;
  const slack = Math.min(interval / 4, 8);
  let last = -Infinity;
  return (now) => {
    if (now - last < interval - slack) return false;
    // Keep the long-run rate: step from the slot this frame filled, unless far behind.
    last = now - last > interval * 2 ? now : Math.max(now - slack, last + interval);
    return true;
  };
}

function captureWithProcessor(Processor: TrackProcessorConstructor, track: MediaStreamTrack, o: CaptureOptions): () => void {
  // Its own clone, so cancelling the reader never ends the track the preview
  // shows; asked for the target size and rate, so the browser's capture
  // pipeline scales (and crops) it from the camera's full picture.
  const own = track.clone();
  applyTarget(own, o);
  const reader = new Processor({ track: own, maxBufferSize: 1 }).readable.getReader();
  const due = createPacer(o.fps);
  let stopped = false;
  void (async () => {
    try {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) return;
        if (stopped || !due(performance.now())) {
          frame.close();
          if (stopped) return;
          continue;
        }
        o.send(cropFrame(frame, o.width, o.height), Date.now());
      }
    } catch (error) {
      if (!stopped) o.onError?.(error);
    }
  })();
  return () => {
    stopped = true;
    reader.cancel().catch(() => {});
    own.stop();
  };
}

/** Asks a track for about `width`×`height` at `fps` (ideals: a camera that cannot is not refused). */
export function applyTarget(track: MediaStreamTrack, o: Pick<CaptureOptions, 'width' | 'height' | 'fps'>): void {
  if (typeof track.applyConstraints !== 'function') return;
  track.applyConstraints({ width: { ideal: o.width }, height: { ideal: o.height }, frameRate: { ideal: o.fps } }).catch(() => {});
}

/** A view of `frame` cropped to the target aspect (no copy); the original is closed. */
function cropFrame(frame: VideoFrame, width: number, height: number): VideoFrame {
  const rect = cropToAspect(frame.displayWidth, frame.displayHeight, width, height);
  if (rect.width === frame.displayWidth && rect.height === frame.displayHeight) return frame;
  try {
    const cropped = new VideoFrame(frame, { visibleRect: rect, displayWidth: rect.width, displayHeight: rect.height });
    frame.close();
    return cropped;
  } catch {
    // A format whose alignment the rectangle misses: send it whole.
    return frame;
  }
}

function captureWithVideo(track: MediaStreamTrack, o: CaptureOptions): () => void {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  void Promise.resolve(video.play()).catch(() => {});
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    // HAVE_CURRENT_DATA: there is a frame to take.
    if (busy || stopped || video.readyState < 2 || !video.videoWidth) return;
    busy = true;
    const captureTime = Date.now();
    const r = cropToAspect(video.videoWidth, video.videoHeight, o.width, o.height);
    createImageBitmap(video, r.x, r.y, r.width, r.height, { resizeWidth: o.width, resizeHeight: o.height, resizeQuality: 'low' }).then(
      (bitmap) => {
        busy = false;
        if (stopped) return bitmap.close();
        try {
          o.send(bitmap, captureTime);
        } catch (error) {
          stop();
          o.onError?.(error);
        }
      },
      (error: unknown) => {
        busy = false;
        if (!stopped) o.onError?.(error);
      },
    );
  }, 1000 / o.fps);
  function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    video.pause();
    video.srcObject = null;
  }
  return stop;
}
