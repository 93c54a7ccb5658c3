import { copyFile, mkdir } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { streamWorkerEsbuildPlugin } from './build/stream-worker.mjs';

// One entry per export (dist/ is emptied by the build script, not by tsup:
// the two configs build in parallel and `clean` in one would race the other).
// Dependencies and peers stay external (tsup reads them
// from package.json), so a user's bundler dedupes react, ws and sharp.
const shared = {
  format: ['esm', 'cjs'] as ('esm' | 'cjs')[],
  sourcemap: true,
  target: 'es2022',
  splitting: false,
};

const entries = {
  index: 'src/index.ts',
  'server/index': 'src/server/index.ts',
  'server/browser': 'src/server/browser.ts',
  'client/index': 'src/client/index.ts',
  'producer/index': 'src/producer/index.ts',
  'producer/browser': 'src/producer/browser.ts',
  'redis/index': 'src/redis/index.ts',
  'vite/index': 'src/vite/index.ts',
};

export default defineConfig([
  {
    ...shared,
    entry: entries,
    // The React entry's types are bundled in this same run, so the types it
    // shares with framestream/client (FrameStreamError, the event map, the
    // emitter class WorkerFrameStreamClient extends) are declared once, in a
    // chunk both entries import. Bundled on its own, the React d.ts carried
    // copies of them, which TypeScript (without skipLibCheck) rejects as
    // different from framestream/client's own.
    dts: { entry: { ...entries, 'react/index': 'src/react/index.ts' } },
    platform: 'neutral',
    external: ['ws', 'sharp', 'eventemitter3', 'vite', 'redis', /^node:/],
  },
  {
    ...shared,
    entry: { 'react/index': 'src/react/index.ts' },
    dts: false, // built with the other entries' types, above
    platform: 'browser',
    // `framestream/client` stays an import of the package's own export, so the
    // React entry shares one client (code and types) with framestream/client.
    external: ['react', 'react-dom', 'react/jsx-runtime', '@headlessui/react', 'eventemitter3', 'framestream/client'],
    // esbuild drops module-level directives when bundling; put it back so the
    // React entry works as a client component in Next.js App Router pages.
    banner: { js: "'use client';" },
    // The painting worker is bundled into a string inside this entry.
    esbuildPlugins: [streamWorkerEsbuildPlugin()],
    // The components' stylesheet ships as written: plain CSS, every class
    // `fs-`, no build step between the source and what users import.
    async onSuccess() {
      await mkdir('dist/react', { recursive: true });
      await copyFile('src/react/styles.css', 'dist/react/styles.css');
    },
  },
]);
