import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import type { ClientStatus } from '../src/client/index.js';
import { Controls, type FitMode } from '../src/react/index.js';
import { useFakeStream } from './support/fakeStream.js';

/**
 * The Controls panel driven by a stand-in stream: Connect and Disconnect
 * work, metrics are live in the Connected state, and the settings menu
 * changes real state.
 */
function ControlsDemo(props: { status: ClientStatus; hold?: boolean; showMetrics?: boolean }) {
  const stream = useFakeStream(props.status, { hold: props.hold ?? false });
  const [fit, setFit] = useState<FitMode>('cover');
  const [showMetrics, setShowMetrics] = useState(props.showMetrics ?? true);
  return (
    <div className="h-screen w-screen bg-black">
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
      <p className="fixed bottom-4 left-6 font-mono text-xs text-[#9CA986]">fit: {fit}</p>
    </div>
  );
}

const meta = {
  title: 'Controls',
  component: ControlsDemo,
  args: { status: 'disconnected', hold: false, showMetrics: true },
  argTypes: { status: { table: { disable: true } }, hold: { table: { disable: true } } },
} satisfies Meta<typeof ControlsDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Only Connect is enabled; clicking it walks through Connecting to Connected. */
export const Disconnected: Story = {};

/** Waiting for the socket: the indicator blinks, only Disconnect is enabled. */
export const Connecting: Story = { args: { status: 'connecting', hold: true } };

/** Live metrics, a pulsing indicator, Disconnect enabled. */
export const Connected: Story = { args: { status: 'connected' } };

/** The connection dropped and the client is backing off before its next try. */
export const Reconnecting: Story = { args: { status: 'reconnecting' } };

/** Reconnecting gave up or the server refused: Connect is enabled again. */
export const ErrorState: Story = { name: 'Error', args: { status: 'error' } };

/** Metrics hidden from the settings menu: the panel shrinks to status and buttons. */
export const ConnectedMetricsHidden: Story = { args: { status: 'connected', showMetrics: false } };
