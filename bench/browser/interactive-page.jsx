// The browser sub-figure of figure 9: the package's camera component
// sending Chromium's fake camera through a session, and the package's canvas
// painting the answers, as an app would wire them. `?thread=` picks the
// client: `auto` (the default, a worker client: socket, encode and paint off
// the main thread) or `main`. The probe pairs each output that answers one
// of our inputs (the client's `frame` event, whose `roundTripMs` is capture →
// receipt on the client's clock) with the first paint the canvas reports
// after it: capture → painted = roundTripMs + (that paint's report − the
// frame event), both read from the page's own clock. With a worker client
// both events reach the page by postMessage, so the page sees receipt and
// paint each delayed alike; listening to `frame` makes the worker copy
// every frame to the page, which the measurement pays.
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { CameraInput, StreamCanvas, useFrameStream } from '../../dist/react/index.js';

const params = new URLSearchParams(location.search);
const url = params.get('ws');
const thread = params.get('thread') ?? 'auto';
const probe = (window.__probe = { answered: 0, painted: 0, trips: [], received: [], camera: null, status: null });
/** The newest answered output not yet painted. */
let pending = null;

function onStats(s) {
  if (s.painted <= probe.painted) return;
  probe.painted = s.painted;
  if (!pending) return;
  probe.trips.push(pending.roundTripMs + (performance.now() - pending.at));
  probe.received.push(pending.roundTripMs);
  pending = null;
}

function onCameraState(state) {
  probe.camera = state;
}

function App() {
  const { client } = useFrameStream({ url, autoConnect: true, thread });
  useEffect(() => {
    if (!client) return undefined;
    const onFrame = (f) => {
      if (f.roundTripMs === null) return;
      probe.answered++;
      pending = { roundTripMs: f.roundTripMs, at: performance.now() };
    };
    const onStatus = (s) => {
      probe.status = s;
    };
    client.on('frame', onFrame);
    client.on('status', onStatus);
    return () => {
      client.off('frame', onFrame);
      client.off('status', onStatus);
    };
  }, [client]);
  return (
    <div style={{ display: 'flex', gap: 8 }}>
      {/* A block body: CameraInput returns the callback's result from an effect, so an expression body would hand React a string as the effect's cleanup. */}
      <CameraInput client={client} onStateChange={onCameraState} style={{ width: 256, height: 256 }} />
      <StreamCanvas client={client} onStats={onStats} style={{ width: 512, height: 512 }} />
    </div>
  );
}

createRoot(document.getElementById('root')).render(<App />);
