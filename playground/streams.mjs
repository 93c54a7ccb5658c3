// The playground's streams, shared by `npm start` (server.mjs), `npm run dev`
// (vite.config.ts) and the page (src/App.tsx), so the three never disagree
// about a path. Each viewer picks a source by connecting to its path; a
// built-in source produces frames only while someone watches it.
//
// The page imports this file too: nothing secret belongs here (the
// producer's token is read from the environment by the servers).
export const PLAYGROUND_STREAMS = [
  {
    source: 'noise',
    label: 'Noise',
    path: '/ws/test/',
    snapshotPath: '/test/random',
  },
  {
    source: 'pattern',
    label: 'Pattern',
    path: '/ws/pattern/',
    snapshotPath: '/test/pattern',
  },
  {
    // Frames from an external producer (a model in another process), e.g.
    // `python3 python/examples/pattern_model.py` (docs/producers.md).
    source: 'producer',
    label: 'Producer',
    path: '/ws/producer/',
    snapshotPath: '/test/producer',
    ingestPath: '/ingest/producer',
  },
];

/**
 * The interactive img2img stream: each viewer's camera (or the page's
 * built-in pattern) and prompt go up, a model's frames come back to that
 * viewer alone. Its model and limits live in interactive.mjs, which only
 * the servers import.
 */
export const IMG2IMG_STREAM = {
  label: 'img2img',
  path: '/ws/img2img/',
};

/**
 * `createFrameStreamServer` options of one stream, apart from `server`:
 * a built-in source, or an ingest endpoint that takes `token`.
 */
export function streamOptions({ source, path, snapshotPath, ingestPath }, { fps, token }) {
  return ingestPath
    ? { path, snapshotPath, fps, ingest: { path: ingestPath, token } }
    : { source, path, snapshotPath, fps };
}
