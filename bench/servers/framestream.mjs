// The package under test, exactly as a user runs it: the built
// `framestream/server` entry attached to a plain http.Server with its
// built-in noise source. (The pushed Float32 path is measured in
// bench/encode-ab.mjs.)
import { createFrameStreamServer } from '../../dist/server/index.js';
import { SETTINGS, runServer } from './common.mjs';

await runServer((server) => {
  const handle = createFrameStreamServer({
    server,
    path: '/stream',
    snapshotPath: '/snapshot',
    source: 'noise',
    width: SETTINGS.width,
    height: SETTINGS.height,
    fps: SETTINGS.fps,
    quality: SETTINGS.quality,
  });
  // Runtime errors must not crash the benchmark; they are counted instead.
  let errors = 0;
  handle.on('error', () => errors++);
  return {
    async stop() {
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
