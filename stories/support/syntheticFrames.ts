/**
 * Frames for stories that have no server: a moving pattern drawn in the
 * browser and encoded to JPEG, so StreamCanvas gets real JPEG bytes exactly
 * as it would from a socket. The sweep, the clock and the frame counter make
 * motion and dropped frames visible at a glance.
 */

export interface SyntheticFrameOptions {
  /** Frame width in pixels. @default 640 */
  width?: number;
  /** Frame height in pixels. @default 360 */
  height?: number;
  /** Frames per second. @default 30 */
  fps?: number;
  /** JPEG quality in (0, 1]. @default 0.8 */
  quality?: number;
  /** How many frames to emit at once per tick (a burst exercises latest-frame-wins). @default 1 */
  burst?: number;
}

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

function makeCanvas(width: number, height: number): { ctx: Canvas2D; encode: (q: number) => Promise<Blob> } {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    return { ctx, encode: (quality) => canvas.convertToBlob({ type: 'image/jpeg', quality }) };
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  return {
    ctx,
    encode: (quality) =>
      new Promise((resolve, reject) =>
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), 'image/jpeg', quality),
      ),
  };
}

function draw(ctx: Canvas2D, width: number, height: number, seq: number, t: number): void {
  const hue = (t / 40) % 360;
  const g = ctx.createLinearGradient(0, 0, width, height);
  g.addColorStop(0, `hsl(${hue}, 35%, 22%)`);
  g.addColorStop(1, `hsl(${(hue + 90) % 360}, 30%, 40%)`);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, width, height);
  // A bar sweeping left to right once every two seconds.
  const x = ((t % 2000) / 2000) * width;
  ctx.fillStyle = 'rgba(181, 204, 154, 0.85)';
  ctx.fillRect(x - 12, 0, 24, height);
  // Grain, so JPEG sizes look like real content.
  for (let i = 0; i < 400; i++) {
    const v = (Math.sin(seq * 12.9898 + i * 78.233) * 43758.5453) % 1;
    ctx.fillStyle = `rgba(255,255,255,${Math.abs(v) * 0.25})`;
    ctx.fillRect(Math.abs(v * 9301) % width, Math.abs(v * 49297) % height, 3, 3);
  }
  // The counter and clock in the middle, where `cover` never crops them,
  // whatever the shape of the canvas.
  ctx.fillStyle = '#000000aa';
  ctx.fillRect(Math.round(width / 2 - 130), Math.round(height / 2 - 24), 260, 48);
  ctx.fillStyle = '#B5CC9A';
  ctx.font = 'bold 22px ui-monospace, monospace';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(`#${seq}  ${new Date(t).toISOString().slice(11, 23)}`, width / 2, height / 2);
}

/**
 * Calls `emit` with a fresh JPEG `fps` times a second until the returned stop
 * function is called. Encodes never overlap; a tick that finds the previous
 * encode still running is skipped.
 */
export function startSyntheticFrames(
  emit: (jpeg: Uint8Array, seq: number) => void,
  options: SyntheticFrameOptions = {},
): () => void {
  const { width = 640, height = 360, fps = 30, quality = 0.8, burst = 1 } = options;
  const { ctx, encode } = makeCanvas(width, height);
  let seq = 0;
  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      draw(ctx, width, height, seq, Date.now());
      const bytes = new Uint8Array(await (await encode(quality)).arrayBuffer());
      // A burst hands over the same frame several times in one task, faster
      // than any decoder, as a socket does after a stall.
      for (let i = 0; i < burst && !stopped; i++) emit(bytes, seq++);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, 1000 / fps);
  void tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
