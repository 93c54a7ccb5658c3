import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { CameraInput } from '../src/react/index.js';
import { askingCamera, deniedCamera, missingCamera, syntheticCamera } from './support/fakeCamera.js';
import { useFakeStream } from './support/fakeStream.js';

/**
 * CameraInput in each of its states, offline: the camera is a canvas
 * captured as a MediaStream (or a refusal), the stream a stand-in in an
 * active session that counts the frames it is given.
 */
function CameraDemo({ camera, paused }: { camera: (c: MediaStreamConstraints) => Promise<MediaStream>; paused?: boolean }) {
  const stream = useFakeStream('connected', { session: 'active' });
  const [sent, setSent] = useState(0);
  const [isPaused, setPaused] = useState(paused ?? false);
  useEffect(() => {
    const t = setInterval(() => setSent(stream.client.framesSent), 500);
    return () => clearInterval(t);
  }, [stream.client]);
  return (
    <div className="flex h-screen w-screen flex-col items-center justify-center gap-3 bg-black">
      <CameraInput client={stream.client} getUserMedia={camera} fps={15} width={512} height={512} paused={isPaused} onPausedChange={setPaused} />
      <p className="font-mono text-xs text-[#9CA986]" data-testid="frames-sent">
        frames sent: {sent}
      </p>
    </div>
  );
}

const meta = {
  title: 'CameraInput',
  component: CameraDemo,
  args: { camera: syntheticCamera },
  argTypes: { camera: { table: { disable: true } } },
} satisfies Meta<typeof CameraDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The browser is asking the user whether the page may use the camera. */
export const Asking: Story = { args: { camera: askingCamera } };

/** The user said no: the preview is crossed out and Try again asks once more. */
export const Denied: Story = { args: { camera: deniedCamera } };

/** No camera is connected. */
export const NoCamera: Story = { name: 'No camera', args: { camera: missingCamera } };

/** The camera is on and its frames go to the session (the counter below rises). */
export const Running: Story = { args: { camera: syntheticCamera } };

/** The camera is open but nothing is sent; Resume carries on. */
export const Paused: Story = { args: { camera: syntheticCamera, paused: true } };
