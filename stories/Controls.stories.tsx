import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { useArgs } from 'storybook/preview-api';
import type { ClientStatus, ConnectionFailure, FrameStreamErrorCode } from '../src/client/index.js';
import { Controls, StreamCanvas, type FitMode, type StreamMetrics } from '../src/react/index.js';
import { FPS_CAP_ARG, fpsCapKey, fpsCapValue, type FpsCapKey } from './support/args.js';
import { UNREACHABLE, useFakeStream, type FakeStreamOptions } from './support/fakeStream.js';

/**
 * What the Controls stories take: the panel's own props, with its `metrics`
 * and its `failure` spread out into one control per field so each can be
 * changed in the Controls tab. A figure left empty is `null`, shown as "—".
 */
interface ControlsStoryArgs {
  status: ClientStatus;
  fit: FitMode;
  maxFps: FpsCapKey;
  showMetrics: boolean;
  fps: number;
  latencyP50?: number;
  latencyP95?: number;
  inferenceMs?: number;
  frameBytes?: number;
  framesDropped: number;
  framesCapped: number;
  failureCode: FrameStreamErrorCode;
  failureMessage: string;
  failureUrl: string;
  failureCloseCode?: number;
  title: string;
}

/** Figures a healthy stream shows, filled in when Connect succeeds. */
const LIVE = { fps: 30, latencyP50: 21, latencyP95: 34, inferenceMs: 42, frameBytes: 19_456 } as const;

function metricsOf(args: ControlsStoryArgs): StreamMetrics {
  return {
    fps: args.fps,
    latencyP50: args.latencyP50 ?? null,
    latencyP95: args.latencyP95 ?? null,
    inferenceMs: args.inferenceMs ?? null,
    frameBytes: args.frameBytes ?? null,
    framesDropped: args.framesDropped,
    framesCapped: args.framesCapped,
    framesReceived: 0,
  };
}

function failureOf(args: ControlsStoryArgs): ConnectionFailure {
  return { code: args.failureCode, message: args.failureMessage, url: args.failureUrl, closeCode: args.failureCloseCode ?? null };
}

/**
 * The panel as an app shows it, every prop an arg. Whatever the user does in
 * the panel writes back to the args, so the Controls tab and the panel never
 * disagree: Connect walks Connecting → Connected (600 ms, as a socket would),
 * Disconnect goes back, the settings menu sets fit, cap and metrics.
 */
function ControlsDemo({ args, update }: { args: ControlsStoryArgs; update: (next: Partial<ControlsStoryArgs>) => void }) {
  // Only a Connect clicked here moves on from Connecting; the Connecting
  // story itself stays there.
  const [connecting, setConnecting] = useState(false);
  useEffect(() => {
    if (!connecting || args.status !== 'connecting') return;
    const t = setTimeout(() => {
      setConnecting(false);
      update({ status: 'connected', ...(args.fps === 0 ? LIVE : {}) });
    }, 600);
    return () => clearTimeout(t);
  }, [connecting, args.status, args.fps, update]);

  return (
    <div className="h-screen w-screen bg-black">
      <Controls
        status={args.status}
        metrics={metricsOf(args)}
        failure={failureOf(args)}
        onConnect={() => {
          setConnecting(true);
          update({ status: 'connecting' });
        }}
        onDisconnect={() => update({ status: 'disconnected', fps: 0 })}
        fit={args.fit}
        onFitChange={(fit) => update({ fit })}
        maxFps={fpsCapValue(args.maxFps)}
        onMaxFpsChange={(fps) => update({ maxFps: fpsCapKey(fps) })}
        showMetrics={args.showMetrics}
        onShowMetricsChange={(showMetrics) => update({ showMetrics })}
        title={args.title}
        initialPosition={{ x: 24, y: 24 }}
      />
      <p className="fixed bottom-4 left-6 font-mono text-xs text-[#9CA986]">fit: {args.fit}</p>
    </div>
  );
}

const figure = (max: number, step = 1) => ({ control: { type: 'range', min: 0, max, step } }) as const;

const meta = {
  title: 'Controls',
  render: function Render(args) {
    const [, updateArgs] = useArgs<ControlsStoryArgs>();
    return <ControlsDemo args={args} update={updateArgs} />;
  },
  args: {
    status: 'disconnected',
    fit: 'cover',
    maxFps: fpsCapKey(null),
    showMetrics: true,
    fps: 0,
    framesDropped: 0,
    framesCapped: 0,
    failureCode: UNREACHABLE.code,
    failureMessage: UNREACHABLE.message,
    failureUrl: UNREACHABLE.url,
    failureCloseCode: UNREACHABLE.closeCode ?? undefined,
    title: 'framestream',
  },
  argTypes: {
    status: {
      control: 'select',
      options: ['disconnected', 'connecting', 'connected', 'reconnecting', 'error'] satisfies ClientStatus[],
      description: 'Connection state: the indicator, its text and which buttons are enabled.',
    },
    fit: { control: 'inline-radio', options: ['cover', 'contain'] satisfies FitMode[], description: 'Fit mode shown in settings.' },
    maxFps: { ...FPS_CAP_ARG, description: 'FPS cap shown in settings.' },
    showMetrics: { control: 'boolean', description: 'Whether the figures are shown.' },
    fps: { ...figure(120, 0.1), description: 'Frames per second received.', table: { category: 'metrics' } },
    latencyP50: { ...figure(500), description: 'Latency p50, ms (empty: not measured).', table: { category: 'metrics' } },
    latencyP95: { ...figure(500), description: 'Latency p95, ms (empty: not measured).', table: { category: 'metrics' } },
    inferenceMs: { ...figure(500), description: 'Source time per frame, ms (empty: none reported).', table: { category: 'metrics' } },
    frameBytes: { ...figure(512 * 1024, 256), description: 'Size of the last frame, bytes.', table: { category: 'metrics' } },
    framesDropped: { ...figure(10_000), description: 'Frames lost: the connection could not keep up.', table: { category: 'metrics' } },
    framesCapped: {
      ...figure(10_000),
      description: "Frames left out on purpose by the viewer's FPS cap; shown while a cap is set or once any were.",
      table: { category: 'metrics' },
    },
    failureCode: { control: 'text', description: 'Error code, e.g. `ERR_UNREACHABLE`.', table: { category: 'failure' } },
    failureMessage: { control: 'text', description: "What went wrong, shown in status 'error'.", table: { category: 'failure' } },
    failureUrl: { control: 'text', description: 'The URL that failed.', table: { category: 'failure' } },
    failureCloseCode: { control: 'number', description: 'WebSocket close code (1006: never opened).', table: { category: 'failure' } },
    title: { control: 'text', description: 'Heading of the panel.' },
  },
} satisfies Meta<ControlsStoryArgs>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Only Connect is enabled; clicking it walks through Connecting to Connected. */
export const Disconnected: Story = {};

/** Waiting for the socket: the indicator blinks, only Disconnect is enabled. */
export const Connecting: Story = { args: { status: 'connecting' } };

/** Live figures, a pulsing indicator, Disconnect enabled; a few frames were lost on the way. */
export const Connected: Story = { args: { status: 'connected', ...LIVE, framesDropped: 3 } };

/** The connection dropped and the client is backing off before its next try: no live figures. */
export const Reconnecting: Story = { args: { status: 'reconnecting', framesDropped: 3 } };

/**
 * The client gave up: nothing answered at the URL. The panel says so, names
 * the URL, and offers Retry.
 */
export const ErrorState: Story = { name: 'Error', args: { status: 'error' } };

/** The server refused this page's origin (close 4403): retrying cannot help until the server allows it. */
export const ErrorRefused: Story = {
  args: {
    status: 'error',
    failureCode: 'ERR_FORBIDDEN_ORIGIN',
    failureMessage: "The server at wss://stream.example.com/ws/ refused this page's origin (close 4403)",
    failureUrl: 'wss://stream.example.com/ws/',
    failureCloseCode: 4403,
  },
};

/**
 * A viewer capped at 10 FPS: the frames its cap left out are counted as
 * Capped, apart from the frames lost (Dropped, none here).
 */
export const ConnectedCapped: Story = {
  args: { status: 'connected', ...LIVE, fps: 10, maxFps: fpsCapKey(10), framesCapped: 1240, framesDropped: 0 },
};

/** Metrics hidden from the settings menu: the panel shrinks to status and buttons. */
export const ConnectedMetricsHidden: Story = { args: { status: 'connected', ...LIVE, showMetrics: false } };

/**
 * A stream fed by an external producer (an ingest endpoint), over a canvas
 * of synthetic frames: the connection is fine ("Connected"), and the panel
 * says the producer is away without covering the frame.
 */
function ProducerDemo({ producer }: { producer: NonNullable<FakeStreamOptions['producer']> }) {
  const stream = useFakeStream('connected', { producer });
  return (
    <main className="relative h-screen w-screen overflow-hidden bg-black">
      <StreamCanvas client={stream.client} fit="contain" className="absolute inset-0" />
      <Controls
        status={stream.status}
        metrics={stream.metrics}
        failure={stream.snapshot.failure}
        source={stream.snapshot.source}
        onConnect={stream.connect}
        onDisconnect={stream.disconnect}
        initialPosition={{ x: 24, y: 24 }}
      />
    </main>
  );
}

/** Connected to a stream whose producer has not come yet: no frame, "Waiting for producer". */
export const WaitingForProducer: Story = {
  name: 'Waiting for producer',
  render: () => <ProducerDemo producer="waiting" />,
};

/**
 * The producer sent frames for a moment and went away: the last frame
 * stays, and the panel says since when (local time).
 */
export const ProducerOffline: Story = {
  name: 'Producer offline',
  render: () => <ProducerDemo producer="offline" />,
};
