import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { CameraInput, Controls, StreamCanvas } from '../src/react/index.js';
import { syntheticCamera } from './support/fakeCamera.js';
import { useFakeStream } from './support/fakeStream.js';

/**
 * The panel over an interactive stream (a private session per viewer, see
 * docs/sessions.md), offline: a stand-in stream that queues, runs or ends a
 * session, with the camera a canvas captured as a MediaStream. The line at
 * the bottom shows the params the prompt box last sent.
 */
function SessionDemo({ session }: { session: 'queued' | 'active' | 'ended' }) {
  const stream = useFakeStream('disconnected', { session });
  const [params, setParams] = useState('{}');
  useEffect(() => {
    const t = setInterval(() => setParams(JSON.stringify(stream.client.params)), 300);
    return () => clearInterval(t);
  }, [stream.client]);
  return (
    <div className="relative h-screen w-screen bg-black">
      {session === 'active' && <StreamCanvas client={stream.status === 'connected' ? stream.client : null} className="h-full w-full" />}
      <Controls
        status={stream.status}
        metrics={stream.metrics}
        failure={stream.snapshot.failure}
        session={stream.snapshot.session}
        onConnect={stream.connect}
        onDisconnect={stream.disconnect}
        onParamsChange={stream.client.setParams}
        defaultPrompt={session === 'active' ? 'a watercolour portrait' : ''}
        initialPosition={{ x: 24, y: 24 }}
      />
      {session === 'active' && (
        <div className="fixed right-6 bottom-6">
          <CameraInput client={stream.client} getUserMedia={syntheticCamera} fps={15} />
        </div>
      )}
      <p className="fixed bottom-4 left-6 font-mono text-xs text-[#9CA986]" data-testid="params-sent">
        params sent: {params}
      </p>
    </div>
  );
}

const meta = {
  title: 'Controls in a session',
  component: SessionDemo,
  args: { session: 'active' },
  argTypes: { session: { control: 'inline-radio', options: ['queued', 'active', 'ended'] } },
} satisfies Meta<typeof SessionDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Every session is taken: the panel says the viewer's place in line and offers the prompt box to fill meanwhile. */
export const Queued: Story = { args: { session: 'queued' } };

/**
 * A session of one's own: the camera's frames go up, the prompt box sends
 * params 300 ms after the last key, the panel counts down the time left and
 * shows the round trip beside latency and inference.
 */
export const Interactive: Story = { args: { session: 'active' } };

/** The session reached its time limit: the panel says so and why, and Retry joins the queue again. */
export const SessionEnded: Story = { name: 'Session ended', args: { session: 'ended' } };
