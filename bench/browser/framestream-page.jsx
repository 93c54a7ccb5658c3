// The framestream variant of the browser figure: the package's own hook and
// component, as an app would use them, with their defaults: the socket and
// the painter share a worker where the browser allows it. The probe only
// listens to what the component reports through `onStats` after each paint:
// the counters, and the age of the frame it drew (capture on the server to
// drawn, corrected by the client's clock-offset estimate).
import { createRoot } from 'react-dom/client';
import { StreamCanvas, useFrameStream } from '../../dist/react/index.js';

const url = new URLSearchParams(location.search).get('ws');
const probe = (window.__probe = {
  received: 0,
  ages: [],
  painted: 0,
  dropped: 0,
  liveBitmaps: 0,
  maxLiveBitmaps: 0,
  thread: null,
  firstPaintAt: 0,
  lastPaintAt: 0,
});
const wallClock = () => performance.timeOrigin + performance.now();

function onStats(s) {
  probe.liveBitmaps = s.liveBitmaps;
  probe.maxLiveBitmaps = Math.max(probe.maxLiveBitmaps, s.liveBitmaps);
  probe.thread = s.thread;
  probe.dropped = s.dropped;
  probe.received = s.received;
  if (s.painted <= probe.painted) return;
  probe.painted = s.painted;
  const now = wallClock();
  if (s.frameAgeMs !== null) probe.ages.push(s.frameAgeMs);
  if (probe.firstPaintAt === 0) probe.firstPaintAt = now;
  probe.lastPaintAt = now;
  performance.mark('fs-frame');
}

function App() {
  const { client } = useFrameStream({ url, autoConnect: true });
  return <StreamCanvas client={client} onStats={onStats} style={{ width: 512, height: 512 }} />;
}

createRoot(document.getElementById('root')).render(<App />);
