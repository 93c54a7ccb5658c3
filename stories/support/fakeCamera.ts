/**
 * Stand-ins for `navigator.mediaDevices.getUserMedia`, so CameraInput's
 * states show in Storybook without a camera or a permission prompt: a
 * moving picture drawn on a canvas and captured as a real MediaStream, or
 * the refusals a browser gives. Stories only; the Chromium tests use the
 * browser's own fake camera.
 */

type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

/** A camera that shows a slowly moving scene (a face-sized disc over a gradient), at 640×480. */
export const syntheticCamera: GetUserMedia = async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 480;
  const ctx = canvas.getContext('2d')!;
  let raf = 0;
  const draw = (t: number) => {
    const g = ctx.createLinearGradient(0, 0, 640, 480);
    g.addColorStop(0, '#1d2b1f');
    g.addColorStop(1, '#6b7f5a');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 640, 480);
    ctx.fillStyle = '#e8d5b0';
    ctx.beginPath();
    ctx.arc(320 + Math.sin(t / 900) * 60, 230 + Math.cos(t / 1300) * 20, 110, 0, Math.PI * 2);
    ctx.fill();
    raf = requestAnimationFrame(draw);
  };
  raf = requestAnimationFrame(draw);
  const stream = canvas.captureStream(30);
  for (const track of stream.getTracks()) {
    const stop = track.stop.bind(track);
    track.stop = () => {
      cancelAnimationFrame(raf);
      stop();
    };
  }
  return stream;
};

/** A browser still waiting for the user to answer its prompt. */
export const askingCamera: GetUserMedia = () => new Promise<MediaStream>(() => {});

/** The user (or the site settings) refused the camera. */
export const deniedCamera: GetUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));

/** A machine with no camera. */
export const missingCamera: GetUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
