// The browser sub-figure of figure 9: the package's camera component
// sending Chromium's fake camera through a session, and the package's canvas
// painting the answers, as an app would wire them. The client lives on the
// main thread (`thread: 'main'`): the worker client cannot send camera
// frames yet. The probe pairs each output that answers one of our inputs
// (the client's `frame` event: `roundTripMs` is capture → receive on this
// client's clock) with the first paint the canvas reports after it, so
// capture → painted = roundTripMs + (that paint − the frame's receipt).
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { CameraInput, StreamCanvas, useFrameStream } from '../../dist/react/index.js';

const url = new URLSearchParams(location.search).get('ws');
const probe = (window.__probe = { answered: 0, painted: 0, trips: [], received: [], camera: null, status: null });
const wallClock = () => performance.timeOrigin + performance.now();
/** The newest answered output not yet painted. */
let pending = null;

function onStats(s) {
  if (s.painted <= probe.painted) return;
  probe.painted = s.painted;
  if (!pending) return;
  probe.trips.push(pending.roundTripMs + (wallClock() - pending.receivedTime));
  probe.received.push(pending.roundTripMs);
  pending = null;
}

function onCameraState(state) {
  probe.camera = state;
}

function App() {
  const { client } = useFrameStream({ url, autoConnect: true, thread: 'main' });
  useEffect(() => {
    if (!client) return undefined;
    const onFrame = (f) => {
      if (f.roundTripMs === null) return;
      probe.answered++;
      pending = { roundTripMs: f.roundTripMs, receivedTime: f.receivedTime };
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
