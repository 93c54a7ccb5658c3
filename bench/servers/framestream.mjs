// The package under test, exactly as a user runs it: the built
// `framestream/server` entry attached to a plain http.Server. BENCH_SOURCE
// picks its built-in noise source (default) or `push`, where this process
// pushes Float32 frames at the stream's rate the way a model loop would.
import { createFrameStreamServer } from '../../dist/server/index.js';
import { SETTINGS, runServer } from './common.mjs';
import { float32Frames } from './float32.mjs';

const source = process.env.BENCH_SOURCE ?? 'noise';

await runServer((server) => {
  const handle = createFrameStreamServer({
    server,
    path: '/stream',
    snapshotPath: '/snapshot',
    source: source === 'float32' ? 'push' : 'noise',
    width: SETTINGS.width,
    height: SETTINGS.height,
    fps: SETTINGS.fps,
    quality: SETTINGS.quality,
    alwaysOn: process.env.BENCH_ALWAYS_ON === '1',
  });
  // Runtime errors must not crash the benchmark; they are counted instead.
  let errors = 0;
  handle.on('error', () => errors++);
  let timer;
  if (source === 'float32') {
    const frames = float32Frames(4);
    const interval = 1000 / SETTINGS.fps;
    let next = performance.now();
    let i = 0;
    const tick = () => {
      handle.push({ data: frames[i++ % frames.length], width: SETTINGS.width, height: SETTINGS.height, channels: 3 });
      next += interval;
      timer = setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  }
  return {
    async stop() {
      clearTimeout(timer);
      await handle.close();
    },
    // The soak fits a line to the JS heap beside RSS, to tell a leak in
    // JavaScript objects from native memory (libvips, the allocator).
    stats: () => {
      const { heapUsed, external, arrayBuffers } = process.memoryUsage();
      return { ...handle.getStats(), errors, memory: { heapUsed, external, arrayBuffers } };
    },
  };
});
