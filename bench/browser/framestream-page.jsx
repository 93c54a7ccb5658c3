// The framestream variant of the browser figure: the package's own hook and
// component, as an app would use them. The probe only listens: it records
// each frame's capture time from the client and each paint the component
// reports through `onStats`.
import { createRoot } from 'react-dom/client';
import { StreamCanvas, useFrameStream } from '../../dist/react/index.js';

const url = new URLSearchParams(location.search).get('ws');
const probe = (window.__probe = {
  captures: [],
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
  if (s.painted <= probe.painted) return;
  probe.painted = s.painted;
  const now = wallClock();
  // Frames reach the painter in order and each is dropped, decoded or
  // rejected, so the one just painted is the (painted + dropped + errors)th.
  // A frame dropped after it was counted early makes this one frame too new,
  // which can only understate the age.
  const index = Math.min(s.painted + s.dropped + s.errors, probe.captures.length) - 1;
  if (index >= 0) probe.ages.push(now - probe.captures[index]);
  if (probe.firstPaintAt === 0) probe.firstPaintAt = now;
  probe.lastPaintAt = now;
  performance.mark('fs-frame');
}

function App() {
  const { client } = useFrameStream({
    url,
    autoConnect: true,
    onFrame: (frame) => {
      probe.received++;
      probe.captures.push(frame.captureTime);
    },
  });
  return <StreamCanvas client={client} onStats={onStats} style={{ width: 512, height: 512 }} />;
}

createRoot(document.getElementById('root')).render(<App />);
