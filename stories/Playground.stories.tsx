import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect } from 'react';
import { useArgs } from 'storybook/preview-api';
import type { ClientStatus } from '../src/client/index.js';
import { Controls, FrameStreamErrorBoundary, StreamCanvas, type FitMode } from '../src/react/index.js';
import { FPS_CAP_ARG, fpsCapKey, fpsCapValue, type FpsCapKey } from './support/args.js';
import { useFakeStream } from './support/fakeStream.js';

/** The Playground stories' args: where the stream starts, and the panel's settings. */
interface PlaygroundStoryArgs {
  /** The state the stream starts in; Connect and Disconnect move on from there. */
  status: ClientStatus;
  /** Stay in Connecting after Connect (the Connecting story). */
  hold: boolean;
  fit: FitMode;
  maxFps: FpsCapKey;
  showMetrics: boolean;
}

/**
 * The playground's composition: a full-screen black canvas with the Controls
 * overlay, wired the way an app wires `useFrameStream`. Here a stand-in
 * stream drawn in the browser replaces the server, so every state renders
 * from the static build. The settings live in the args: the menu writes
 * them, the Controls tab changes them, and the canvas and the stream follow.
 */
function PlaygroundDemo({ args, update }: { args: PlaygroundStoryArgs; update: (next: Partial<PlaygroundStoryArgs>) => void }) {
  const stream = useFakeStream(args.status, { hold: args.hold });
  const cap = fpsCapValue(args.maxFps);
  // The stand-in honours the cap as the server does.
  useEffect(() => stream.client.setMaxFps(cap), [stream.client, cap]);
  return (
    <FrameStreamErrorBoundary>
      <main className="relative h-screen w-screen overflow-hidden bg-black">
        <StreamCanvas client={stream.client} fit={args.fit} className="absolute inset-0" />
        <Controls
          status={stream.status}
          metrics={stream.metrics}
          failure={stream.snapshot.failure}
          onConnect={stream.connect}
          onDisconnect={stream.disconnect}
          fit={args.fit}
          onFitChange={(fit) => update({ fit })}
          maxFps={cap}
          onMaxFpsChange={(fps) => update({ maxFps: fpsCapKey(fps) })}
          showMetrics={args.showMetrics}
          onShowMetricsChange={(showMetrics) => update({ showMetrics })}
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
  render: function Render(args) {
    const [, updateArgs] = useArgs<PlaygroundStoryArgs>();
    // A new starting state is a new stream: remount rather than patch the old one.
    return <PlaygroundDemo key={`${args.status}:${args.hold}`} args={args} update={updateArgs} />;
  },
  args: { status: 'disconnected', hold: false, fit: 'cover', maxFps: fpsCapKey(null), showMetrics: true },
  argTypes: {
    status: {
      control: 'select',
      options: ['disconnected', 'connecting', 'connected', 'reconnecting', 'error'] satisfies ClientStatus[],
      description: 'The state the stand-in stream starts in; Connect and Disconnect move on from there.',
    },
    hold: { table: { disable: true } },
    fit: {
      control: 'inline-radio',
      options: ['cover', 'contain'] satisfies FitMode[],
      description: '`cover` fills the canvas and crops; `contain` shows the whole frame.',
    },
    maxFps: { ...FPS_CAP_ARG, description: 'FPS cap; the stand-in stream honours it as the server does.' },
    showMetrics: { control: 'boolean', description: 'Whether the panel shows its figures.' },
  },
} satisfies Meta<PlaygroundStoryArgs>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The page as it opens: black, with Connect ready. */
export const Disconnected: Story = {};

/** Connect was clicked and the socket is opening. */
export const Connecting: Story = { args: { status: 'connecting', hold: true } };

/** Frames streaming full-screen with live metrics. Storybook opens on this story. */
export const Connected: Story = { args: { status: 'connected' } };

/** The whole frame, letterboxed, capped at 10 FPS: the settings as args. */
export const ConnectedContainCapped: Story = { args: { status: 'connected', fit: 'contain', maxFps: fpsCapKey(10) } };

/** The server went away; the client is backing off before retrying. */
export const Reconnecting: Story = { args: { status: 'reconnecting' } };

/** The connection failed for good: the panel names the URL and why, and Retry tries again. */
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
