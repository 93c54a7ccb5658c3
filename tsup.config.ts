import { defineConfig } from 'tsup';
import { streamWorkerEsbuildPlugin } from './build/stream-worker.mjs';

// One entry per export (dist/ is emptied by the build script, not by tsup:
// the two configs build in parallel and `clean` in one would race the other).
// Dependencies and peers stay external (tsup reads them
// from package.json), so a user's bundler dedupes react, ws and sharp.
const shared = {
  format: ['esm', 'cjs'] as ('esm' | 'cjs')[],
  dts: true,
  sourcemap: true,
  target: 'es2022',
  splitting: false,
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      'server/index': 'src/server/index.ts',
      'server/browser': 'src/server/browser.ts',
      'client/index': 'src/client/index.ts',
      'vite/index': 'src/vite/index.ts',
    },
    platform: 'neutral',
    external: ['ws', 'sharp', 'eventemitter3', 'vite', /^node:/],
  },
  {
    ...shared,
    entry: { 'react/index': 'src/react/index.ts' },
    platform: 'browser',
    // `framestream/client` stays an import of the package's own export, so the
    // React entry shares one client (code and types) with framestream/client.
    external: ['react', 'react-dom', 'react/jsx-runtime', '@headlessui/react', 'eventemitter3', 'framestream/client'],
    // esbuild drops module-level directives when bundling; put it back so the
    // React entry works as a client component in Next.js App Router pages.
    banner: { js: "'use client';" },
    // The painting worker is bundled into a string inside this entry.
    esbuildPlugins: [streamWorkerEsbuildPlugin()],
  },
]);
