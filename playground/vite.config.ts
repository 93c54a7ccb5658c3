import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { streamWorkerVitePlugin } from '../build/stream-worker.mjs';
import { framestream } from '../src/vite/index.js';
import { img2imgStreamOptions } from './interactive.mjs';
import { PLAYGROUND_STREAMS, streamOptions } from './streams.mjs';

const fromHere = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// `npm run dev`: the playground with HMR, its streams served by Vite's own
// server through the framestream/vite plugin (from source, so edits to the
// package show up too). `npm run build:playground` builds playground/dist for
// `npm start`. The page imports the package from ../src (not from
// `framestream/react`, which would resolve to a possibly stale dist/), so the
// build, the dev server and the type check all see the same code.
export default defineConfig({
  root: fromHere('.'),
  plugins: [
    react(),
    tailwindcss(),
    // The painting worker of src/react, bundled into a string (as in dist/).
    streamWorkerVitePlugin(),
    ...PLAYGROUND_STREAMS.map((stream) =>
      framestream(
        streamOptions(stream, {
          fps: Number(process.env.FRAMESTREAM_FPS) || 30,
          // The Producer stream's ingest token, as in server.mjs.
          token: process.env.FRAMESTREAM_TOKEN || 'playground',
        }),
      ),
    ),
    // The img2img stream, with the variables server.mjs reads.
    framestream(
      img2imgStreamOptions({
        fps: Number(process.env.FRAMESTREAM_FPS) || 30,
        delayMs: Number(process.env.FRAMESTREAM_MODEL_DELAY_MS) || 0,
        ...(process.env.FRAMESTREAM_MAX_SESSIONS && { maxSessions: Number(process.env.FRAMESTREAM_MAX_SESSIONS) }),
        ...(process.env.FRAMESTREAM_SESSION_TIMEOUT_MS && { sessionTimeout: Number(process.env.FRAMESTREAM_SESSION_TIMEOUT_MS) }),
      }),
    ),
  ],
  // src/react imports the client by its package name; use the source here too.
  resolve: { alias: { 'framestream/client': fromHere('../src/client/index.ts') } },
  server: { port: Number(process.env.PORT) || 5173 },
  build: {
    outDir: fromHere('dist'),
    emptyOutDir: true,
    sourcemap: true,
  },
});
