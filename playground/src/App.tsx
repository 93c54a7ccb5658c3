import { useState } from 'react';
import { Controls, StreamCanvas, useFrameStream, type FitMode } from '../../src/react/index.js';
import { PLAYGROUND_STREAMS } from '../streams.mjs';
import { Dock } from './Dock.js';
import { Img2imgView } from './Img2imgView.js';
import { SourcePicker } from './SourcePicker.js';
import { streamUrl } from './streamUrl.js';
import { initialView, ViewTabs } from './ViewTabs.js';

/** `?source=pattern` opens the page on that source; anything else on the first. */
function initialSource(): string {
  const wanted = new URLSearchParams(location.search).get('source');
  return PLAYGROUND_STREAMS.find((s) => s.source === wanted)?.source ?? PLAYGROUND_STREAMS[0]!.source;
}

/**
 * `?fit=cover` opens the page in that fit mode; anything else in `contain`.
 * `contain` is the default because the playground is where people look at
 * what the server sends: the 512×512 frames on a wide screen lose over a third of
 * their height to `cover` (the pattern's frame counter with it), and on a
 * phone in portrait more than half their width.
 */
function initialFit(): FitMode {
  return new URLSearchParams(location.search).get('fit') === 'cover' ? 'cover' : 'contain';
}

/**
 * The playground: a full-screen canvas with the Controls panel over it and
 * the Dock (view tabs, then the view's own controls) in the top-right corner
 * (at the bottom on narrow screens). `?view=img2img` opens the interactive
 * view; otherwise the broadcast one.
 */
export function App() {
  const [fit, setFit] = useState<FitMode>(initialFit);
  return (
    <main className="fixed inset-0 bg-black">
      {initialView() === 'img2img' ? <Img2imgView fit={fit} onFitChange={setFit} /> : <BroadcastView fit={fit} onFitChange={setFit} />}
    </main>
  );
}

/**
 * The broadcast streams, with a source picker. Switching the source switches
 * the stream path; the hook re-creates its client for the new URL and, if it
 * was connected, connects again.
 */
function BroadcastView({ fit, onFitChange }: { fit: FitMode; onFitChange: (fit: FitMode) => void }) {
  const [source, setSource] = useState(initialSource);
  const stream = PLAYGROUND_STREAMS.find((s) => s.source === source) ?? PLAYGROUND_STREAMS[0]!;
  const frames = useFrameStream({ url: streamUrl(stream.path) });

  // `stream={frames}` wires the panel: status, figures, failure, the buttons
  // and the FPS cap. The page keeps the fit itself, to open in `contain`.
  return (
    <>
      <StreamCanvas client={frames.client} fit={fit} className="h-full w-full" label={`${stream.label} stream`} />
      <Controls stream={frames} fit={fit} onFitChange={onFitChange} />
      <Dock>
        <ViewTabs view="broadcast" />
        <SourcePicker value={source} onChange={setSource} />
      </Dock>
    </>
  );
}
