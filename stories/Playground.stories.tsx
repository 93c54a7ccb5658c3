import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import type { ClientStatus } from '../src/client/index.js';
import { Controls, FrameStreamErrorBoundary, StreamCanvas, type FitMode } from '../src/react/index.js';
import { useFakeStream } from './support/fakeStream.js';

/**
 * The playground's composition: a full-screen black canvas with the Controls
 * overlay, wired the way an app wires `useFrameStream`. Here a stand-in
 * stream drawn in the browser replaces the server, so every state renders
 * from the static build.
 */
function PlaygroundDemo(props: { status: ClientStatus; hold?: boolean }) {
  const stream = useFakeStream(props.status, { hold: props.hold ?? false });
  const [fit, setFit] = useState<FitMode>('cover');
  const [showMetrics, setShowMetrics] = useState(true);
  return (
    <FrameStreamErrorBoundary>
      <main className="relative h-screen w-screen overflow-hidden bg-black">
        <StreamCanvas client={stream.client} fit={fit} className="absolute inset-0" />
        <Controls
          status={stream.status}
          metrics={stream.metrics}
          onConnect={stream.connect}
          onDisconnect={stream.disconnect}
          fit={fit}
          onFitChange={setFit}
          maxFps={stream.maxFps}
          onMaxFpsChange={stream.setMaxFps}
          showMetrics={showMetrics}
          onShowMetricsChange={setShowMetrics}
          initialPosition={{ x: 24, y: 24 }}
        />
      </main>
    </FrameStreamErrorBoundary>
  );
}

function Broken(): never {
  throw new TypeError('Expected `url` to be a non-empty string, got ``');
}

const meta = {
  title: 'Playground',
  component: PlaygroundDemo,
  args: { status: 'disconnected', hold: false },
  argTypes: { status: { table: { disable: true } }, hold: { table: { disable: true } } },
} satisfies Meta<typeof PlaygroundDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The page as it opens: black, with Connect ready. */
export const Disconnected: Story = {};

/** Connect was clicked and the socket is opening. */
export const Connecting: Story = { args: { status: 'connecting', hold: true } };

/** Frames streaming full-screen with live metrics. */
export const Connected: Story = { args: { status: 'connected' } };

/** The server went away; the client is backing off before retrying. */
export const Reconnecting: Story = { args: { status: 'reconnecting' } };

/** The connection failed for good; Connect tries again. */
export const ErrorState: Story = { name: 'Error', args: { status: 'error' } };

/**
 * A rendering failure inside the page shows FrameStreamErrorBoundary's
 * message instead of a blank screen. React logs the caught error to the
 * console, which is expected here.
 */
export const RenderError: Story = {
  tags: ['expected-console-error'],
  render: () => (
    <main className="h-screen w-screen bg-black p-6">
      <FrameStreamErrorBoundary>
        <Broken />
      </FrameStreamErrorBoundary>
    </main>
  ),
};
