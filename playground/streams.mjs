// The playground's streams, shared by `npm start` (server.mjs), `npm run dev`
// (vite.config.ts) and the page (src/App.tsx), so the three never disagree
// about a path. Each viewer picks a source by connecting to its path; a
// source produces frames only while someone watches it.
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
];
