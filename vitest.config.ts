import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { streamWorkerVitePlugin } from './build/stream-worker.mjs';

export default defineConfig({
  plugins: [streamWorkerVitePlugin()],
  // src/react imports the client as `framestream/client` (so the built React
  // entry shares it); tests run the sources.
  resolve: {
    alias: { 'framestream/client': fileURLToPath(new URL('./src/client/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.{ts,tsx}', 'src/**/*.test.{ts,tsx}'],
    // Real sockets, real Chromium and a real encoder: give them time on a
    // shared 2-core machine. Tests assert behaviour, never speed.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
