// The reference for the encode-path figure: the least code that does the
// same per-frame work as framestream's sources, at the same rate, with no
// viewers. BENCH_SOURCE=noise makes random RGB and encodes it with sharp;
// BENCH_SOURCE=float32 converts a Float32 frame to bytes (a Uint8ClampedArray
// store rounds and clamps) and encodes that. framestream's CPU time per frame
// over this one's is the overhead the package adds.
import { SETTINGS, encodeJpeg, noisePixels, runServer } from './common.mjs';
import { float32Frames } from './float32.mjs';

const source = process.env.BENCH_SOURCE ?? 'noise';
const frames = source === 'float32' ? float32Frames(4) : [];

function nextPixels(i) {
  if (source !== 'float32') return noisePixels();
  const f = frames[i % frames.length];
  const bytes = new Uint8ClampedArray(f.length);
  for (let k = 0; k < f.length; k++) bytes[k] = f[k] * 255;
  return bytes;
}

await runServer(() => {
  const interval = 1000 / SETTINGS.fps;
  let next = performance.now();
  let produced = 0;
  let timer;
  let stopped = false;
  const tick = async () => {
    await encodeJpeg(nextPixels(produced));
    produced++;
    if (stopped) return;
    next += interval;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    stats: () => ({ framesProduced: produced }),
  };
});
