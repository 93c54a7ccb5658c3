import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useRef, useState } from 'react';
import { StreamCanvas, type PainterStats, type StreamCanvasHandle } from '../src/react/index.js';
import { useFakeStream } from './support/fakeStream.js';
import { startSyntheticFrames } from './support/syntheticFrames.js';

/**
 * StreamCanvas painting real JPEGs drawn and encoded in the browser (no
 * server). The overlay shows the canvas's own counters.
 */
function CanvasDemo(props: {
  status: 'disconnected' | 'connected';
  fit?: 'cover' | 'contain';
  thread?: 'auto' | 'main';
  burst?: number;
  /** Frame size; a portrait frame shows `contain`'s letterboxing. */
  frameWidth?: number;
  frameHeight?: number;
}) {
  const stream = useFakeStream(props.status, {
    burst: props.burst ?? 1,
    width: props.frameWidth ?? 640,
    height: props.frameHeight ?? 360,
  });
  const [stats, setStats] = useState<PainterStats | null>(null);
  const latest = useRef<PainterStats | null>(null);
  // Counters change every frame; show them twice a second, not 30 times.
  useEffect(() => {
    const t = setInterval(() => setStats(latest.current), 500);
    return () => clearInterval(t);
  }, []);
  return (
    <div className="relative h-screen w-screen bg-black">
      <StreamCanvas
        client={stream.status === 'connected' ? stream.client : null}
        fit={props.fit ?? 'cover'}
        thread={props.thread ?? 'auto'}
        onStats={(s) => (latest.current = s)}
        className="h-full w-full"
      />
      <div className="pointer-events-none absolute bottom-4 left-4 rounded-lg bg-black/60 px-3 py-2 font-mono text-xs text-[#B5CC9A] backdrop-blur">
        {stats
          ? `${stats.thread} thread · painted ${stats.painted} · dropped ${stats.dropped} · live bitmaps ${stats.liveBitmaps} · ${stats.width}×${stats.height}`
          : stream.status === 'connected'
            ? 'waiting for the first frame…'
            : 'no stream: the canvas stays black'}
      </div>
    </div>
  );
}

const meta = {
  title: 'StreamCanvas',
  component: CanvasDemo,
  // The stand-in stream and the canvas's thread are fixed when they are
  // created, so an arg that changes them starts a new demo.
  render: (args) => (
    <CanvasDemo key={[args.status, args.thread, args.burst, args.frameWidth, args.frameHeight].join(':')} {...args} />
  ),
  args: { status: 'connected', fit: 'cover', thread: 'auto', burst: 1, frameWidth: 640, frameHeight: 360 },
  argTypes: {
    status: {
      control: 'inline-radio',
      options: ['disconnected', 'connected'],
      description: 'Whether the canvas has a client sending frames.',
    },
    fit: {
      control: 'inline-radio',
      options: ['cover', 'contain'],
      description: '`cover` fills the canvas and crops; `contain` shows the whole frame.',
    },
    thread: {
      control: 'inline-radio',
      options: ['auto', 'main'],
      description: 'Paint in a worker where the browser allows it, or on the main thread. Read when the canvas is created.',
    },
    burst: {
      control: { type: 'range', min: 1, max: 16, step: 1 },
      description: 'Frames handed over at once per tick; more than one is dropped stale.',
    },
    frameWidth: { control: { type: 'range', min: 64, max: 1920, step: 16 }, description: 'Width of the frames sent, px.' },
    frameHeight: { control: { type: 'range', min: 64, max: 1080, step: 16 }, description: 'Height of the frames sent, px.' },
  },
} satisfies Meta<typeof CanvasDemo>;

export default meta;
type Story = StoryObj<typeof meta>;

/** No frames yet: a black canvas, sized to its box. */
export const Disconnected: Story = { args: { status: 'disconnected' } };

/** Live frames, scaled to cover the canvas (cropped, centred). */
export const Connected: Story = {};

/** Portrait frames shown whole with `fit="contain"`, letterboxed left and right. */
export const ConnectedContain: Story = { args: { fit: 'contain', frameWidth: 360, frameHeight: 480 } };

/** The main-thread painter, as used where OffscreenCanvas workers are unavailable. */
export const ConnectedMainThread: Story = { args: { thread: 'main' } };

/**
 * Frames arriving in bursts of eight, faster than any decoder: stale frames
 * are dropped, the newest is painted, and live bitmaps stay at most two.
 */
export const ConnectedFlooded: Story = { args: { burst: 8 } };

/**
 * Frames pushed through the imperative handle (`ref.renderFrame(bytes)`)
 * instead of a client; the button stops them and calls `ref.clear()`.
 */
function ImperativeDemo() {
  const canvas = useRef<StreamCanvasHandle>(null);
  const [running, setRunning] = useState(true);
  useEffect(() => {
    if (!running) return;
    return startSyntheticFrames((jpeg) => canvas.current?.renderFrame(jpeg));
  }, [running]);
  return (
    <div className="relative h-screen w-screen bg-black">
      <StreamCanvas ref={canvas} className="h-full w-full" />
      <button
        type="button"
        onClick={() => {
          setRunning(false);
          canvas.current?.clear();
        }}
        className="absolute bottom-4 right-4 rounded-lg bg-[#8B9A7E] px-3 py-2 text-sm font-semibold text-black focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[#B5CC9A]"
      >
        Stop and clear
      </button>
    </div>
  );
}

export const ConnectedImperative: StoryObj = { render: () => <ImperativeDemo /> };
