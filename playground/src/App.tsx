import { useState } from 'react';
import { Controls, StreamCanvas, useFrameStream, type FitMode } from '../../src/react/index.js';
import { PLAYGROUND_STREAMS } from '../streams.mjs';
import { SourcePicker } from './SourcePicker.js';

/** WebSocket URL of a stream path on the server that served this page. */
function streamUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

/** `?source=pattern` opens the page on that source; anything else on the first. */
function initialSource(): string {
  const wanted = new URLSearchParams(location.search).get('source');
  return PLAYGROUND_STREAMS.find((s) => s.source === wanted)?.source ?? PLAYGROUND_STREAMS[0]!.source;
}

/**
 * The playground: a full-screen canvas with the Controls panel over it, and
 * a source picker in the top-right corner.
 * Switching the source switches the stream path; the hook re-creates its
 * client for the new URL and, if it was connected, connects again.
 */
export function App() {
  const [source, setSource] = useState(initialSource);
  const [fit, setFit] = useState<FitMode>('cover');
  const stream = PLAYGROUND_STREAMS.find((s) => s.source === source) ?? PLAYGROUND_STREAMS[0]!;
  const { status, metrics, client, connect, disconnect, maxFps, setMaxFps } = useFrameStream({
    url: streamUrl(stream.path),
  });

  return (
    <main className="fixed inset-0 bg-black">
      <StreamCanvas client={client} fit={fit} className="h-full w-full" label={`${stream.label} stream`} />
      <Controls
        status={status}
        metrics={metrics}
        onConnect={connect}
        onDisconnect={disconnect}
        fit={fit}
        onFitChange={setFit}
        maxFps={maxFps}
        onMaxFpsChange={setMaxFps}
      />
      <SourcePicker value={source} onChange={setSource} />
    </main>
  );
}
