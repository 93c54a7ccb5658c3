import { useCallback, useRef, useState } from 'react';
import {
  CameraInput,
  Controls,
  StreamCanvas,
  useFrameStream,
  type CameraState,
  type FitMode,
} from '../../src/react/index.js';
import { IMG2IMG_STREAM } from '../streams.mjs';
import { Dock } from './Dock.js';
import { Img2imgNotice } from './Img2imgNotice.js';
import { ModelCard } from './ModelCard.js';
import { PatternInput } from './PatternInput.js';
import { streamUrl } from './streamUrl.js';
import { ViewTabs } from './ViewTabs.js';

const NO_CAMERA: readonly CameraState[] = ['denied', 'no-camera', 'error'];

export interface Img2imgViewProps {
  fit: FitMode;
  onFitChange: (fit: FitMode) => void;
}

/**
 * The interactive view: this viewer's camera goes up the img2img stream's
 * socket, the model on the server (playground/models/img2img.mjs) turns
 * each frame into the look the prompt names, and its frames come back to
 * the canvas. Without a camera (denied, none, failed) a moving pattern
 * drawn on a canvas is the input instead.
 *
 * The camera opens on Connect and closes on Disconnect, so the page never
 * asks for it before the user chose to start. While the stream's sessions
 * are all taken, the panel shows this viewer's place in line.
 */
export function Img2imgView({ fit, onFitChange }: Img2imgViewProps) {
  // The default client lives in a worker: the camera's frames (and the
  // pattern's) are encoded there, and the output is painted there too.
  const frames = useFrameStream({ url: streamUrl(IMG2IMG_STREAM.path) });
  const client = frames.client;
  const session = frames.snapshot?.session ?? null;
  const started = frames.status !== 'disconnected' && frames.status !== 'error';
  const sending = frames.status === 'connected' && session?.state === 'active' && !session.spectator;

  const [camera, setCamera] = useState<CameraState>('off');
  const noCamera = NO_CAMERA.includes(camera);

  // The params are the page's: the prompt from the panel's box and the
  // model's added delay from the card, sent together (setParams replaces).
  const params = useRef<{ prompt: string; delay: number }>({ prompt: '', delay: 0 });
  const [delay, setDelay] = useState(0);
  const sendParams = useCallback(
    (change: Partial<{ prompt: string; delay: number }>) => {
      params.current = { ...params.current, ...change };
      client?.setParams({ ...params.current });
    },
    [client],
  );

  return (
    <>
      <StreamCanvas client={frames.client} fit={fit} className="h-full w-full" label={`${IMG2IMG_STREAM.label} output`} />
      <Img2imgNotice status={frames.status} position={session?.position ?? null} painted={frames.metrics.framesReceived > 0} />
      <Controls stream={frames} fit={fit} onFitChange={onFitChange} onParamsChange={sendParams} />
      <Dock>
        <ViewTabs view="img2img" />
        <CameraInput client={client} enabled={started} onStateChange={setCamera} className="w-full sm:w-80" />
        {noCamera && <PatternInput client={client} sending={sending} />}
        <ModelCard
          delay={delay}
          onDelayChange={(ms) => {
            setDelay(ms);
            sendParams({ delay: ms });
          }}
        />
      </Dock>
    </>
  );
}
