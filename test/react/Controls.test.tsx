// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientStatus } from '../../src/client/index.js';
import { Controls, EMPTY_METRICS, StreamCanvas, type ControlsStream, type StreamMetrics } from '../../src/react/index.js';
import { clampToViewport } from '../../src/react/useDraggable.js';
import type { SessionInfo } from '../../src/react/session.js';

// jsdom has no layout engine and so no ResizeObserver; Headless UI's listbox
// only uses one to follow its button around. Real layout is covered by the
// Storybook tests in Chromium.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

const openSettings = async () => {
  fireEvent.click(button('Settings'));
  return waitFor(() => screen.getByTestId('settings-panel'));
};

/** Enough of a client for a StreamCanvas: frames are fed by nobody. */
const fakeClient = () => ({ on() {}, off() {} }) as unknown as NonNullable<ControlsStream['client']>;

/** The shape useFrameStream returns, with spies for its actions. */
function fakeStream(over: Partial<ControlsStream> = {}) {
  return {
    status: 'disconnected' as ClientStatus,
    metrics: EMPTY_METRICS,
    snapshot: null,
    client: fakeClient(),
    maxFps: null,
    connect: vi.fn(),
    disconnect: vi.fn(),
    setMaxFps: vi.fn(),
    ...over,
  };
}

describe('Controls', () => {
  afterEach(cleanup);

  describe('buttons', () => {
    const cases: Array<[ClientStatus, boolean, boolean]> = [
      ['disconnected', true, false],
      ['connecting', false, true],
      ['connected', false, true],
      ['reconnecting', false, true],
      ['error', true, false],
    ];
    it.each(cases)('when %s, enables Connect: %s and Disconnect: %s', (status, connect, disconnect) => {
      render(<Controls status={status} onConnect={() => {}} onDisconnect={() => {}} />);
      expect(button(status === 'error' ? 'Retry' : 'Connect').disabled).toBe(!connect);
      expect(button('Disconnect').disabled).toBe(!disconnect);
    });

    it('calls onConnect and onDisconnect when clicked', () => {
      const onConnect = vi.fn();
      const onDisconnect = vi.fn();
      const { rerender } = render(<Controls status="disconnected" onConnect={onConnect} onDisconnect={onDisconnect} />);
      fireEvent.click(button('Connect'));
      expect(onConnect).toHaveBeenCalledTimes(1);
      rerender(<Controls status="connected" onConnect={onConnect} onDisconnect={onDisconnect} />);
      fireEvent.click(button('Disconnect'));
      expect(onDisconnect).toHaveBeenCalledTimes(1);
    });

    it('disables a button that has no handler', () => {
      render(<Controls status="disconnected" />);
      expect(button('Connect').disabled).toBe(true);
    });
  });

  describe('status indicator', () => {
    it('announces the status and pulses only while connected', () => {
      const { rerender } = render(<Controls status="connecting" />);
      expect(screen.getByRole('status').textContent).toBe('Connecting…');
      expect(screen.getByTestId('status-indicator').querySelector('.fs-status-ping')).toBeNull();
      rerender(<Controls status="connected" />);
      expect(screen.getByRole('status').textContent).toBe('Connected');
      expect(screen.getByTestId('status-indicator').querySelector('.fs-status-ping')).not.toBeNull();
    });
  });

  describe('metrics', () => {
    it('shows FPS, latency and inference time', () => {
      render(
        <Controls
          status="connected"
          metrics={{ ...EMPTY_METRICS, fps: 29.96, latencyP50: 12.4, latencyP95: 30.2, inferenceMs: 41.6, frameBytes: 51_200 }}
        />,
      );
      expect(screen.getByTestId('metric-fps').textContent).toBe('30.0');
      expect(screen.getByTestId('metric-fps').dataset.value).toBe('29.96');
      expect(screen.getByTestId('metric-latency').textContent).toBe('12ms');
      expect(screen.getByTestId('metric-inference').textContent).toBe('42ms');
      expect(screen.getByTestId('metric-frame-size').textContent).toBe('50KB');
    });

    it('shows a dash for figures not measured yet', () => {
      render(<Controls status="connected" metrics={EMPTY_METRICS} />);
      expect(screen.getByTestId('metric-latency').textContent).toBe('—');
      expect(screen.getByTestId('metric-frame-size').textContent).toBe('—');
    });

    it.each<ClientStatus>(['disconnected', 'connecting', 'reconnecting', 'error'])(
      'shows no live figures while %s, only the counters',
      (status) => {
        const last = { ...EMPTY_METRICS, fps: 29.9, latencyP50: 7, latencyP95: 12, inferenceMs: 3, frameBytes: 40_000, framesDropped: 4 };
        render(<Controls status={status} metrics={last} />);
        for (const id of ['metric-fps', 'metric-latency', 'metric-latency-p95', 'metric-inference', 'metric-frame-size']) {
          expect([id, screen.getByTestId(id).textContent]).toEqual([id, '—']);
        }
        expect(screen.getByTestId('metric-dropped').textContent).toBe('4');
      },
    );

    it('counts frames the FPS cap skipped apart from frames lost', () => {
      const metrics: StreamMetrics = { ...EMPTY_METRICS, fps: 10, framesDropped: 2, framesCapped: 40 };
      render(<Controls status="connected" metrics={metrics} maxFps={10} />);
      expect(screen.getByTestId('metric-dropped').textContent).toBe('2');
      expect(screen.getByTestId('metric-capped').textContent).toBe('40');
    });

    it('shows the capped figure only while a cap is set or once frames were capped', () => {
      const { rerender } = render(<Controls status="connected" metrics={EMPTY_METRICS} />);
      expect(screen.queryByTestId('metric-capped')).toBeNull();
      rerender(<Controls status="connected" metrics={EMPTY_METRICS} maxFps={10} />);
      expect(screen.getByTestId('metric-capped').textContent).toBe('0');
      rerender(<Controls status="connected" metrics={{ ...EMPTY_METRICS, framesCapped: 3 }} maxFps={null} />);
      expect(screen.getByTestId('metric-capped').textContent).toBe('3');
    });
  });

  describe('after a failed connection', () => {
    it('says why and where, and retries with the Connect handler', () => {
      const onConnect = vi.fn();
      render(
        <Controls
          status="error"
          onConnect={onConnect}
          failure={{ code: 'ERR_SOCKET', message: 'Could not reach the server', url: 'ws://127.0.0.1:9/ws/test/' }}
        />,
      );
      expect(screen.getByRole('status').textContent).toBe('Connection failed');
      expect(screen.getByTestId('failure-message').textContent).toBe('Could not reach the server');
      expect(screen.getByTestId('failure-url').textContent).toBe('ws://127.0.0.1:9/ws/test/');
      fireEvent.click(button('Retry'));
      expect(onConnect).toHaveBeenCalledTimes(1);
    });

    it("reads the failure from the stream's snapshot", () => {
      const stream = fakeStream({
        status: 'error',
        snapshot: { failure: { code: 'ERR_SOCKET', message: 'Refused (404)', url: 'ws://h/wrong/', closeCode: 1006 } } as ControlsStream['snapshot'],
      });
      render(<Controls stream={stream} />);
      expect(screen.getByTestId('failure-message').textContent).toBe('Refused (404)');
      expect(screen.getByTestId('failure-url').textContent).toBe('ws://h/wrong/');
      fireEvent.click(button('Retry'));
      expect(stream.connect).toHaveBeenCalledTimes(1);
    });

    it('says why while it retries on its own, without a Retry button', () => {
      render(<Controls status="reconnecting" onConnect={() => {}} failure={{ message: 'Could not reach ws://x/', url: 'ws://x/' }} />);
      expect(screen.getByTestId('failure-message').textContent).toBe('Could not reach ws://x/');
      expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
    });

    it('shows no failure once connected', () => {
      render(<Controls status="connected" failure={{ message: 'old', url: 'ws://x/' }} />);
      expect(screen.queryByTestId('failure')).toBeNull();
    });
  });

  describe('when the stream\'s producer is away', () => {
    // 14:03:27 local time, whatever the machine's zone.
    const since = new Date(2026, 0, 5, 14, 3, 27).getTime();
    const withFrames = { ...EMPTY_METRICS, framesReceived: 120 };
    const statusText = () => screen.getByTestId('status-indicator').textContent;

    it('says it waits for a producer before any frame came, while the connection stays Connected', () => {
      render(<Controls status="connected" source={{ online: false, offlineSince: since }} />);
      expect(screen.getByTestId('source-message').textContent).toBe('Waiting for producer');
      expect(screen.getByTestId('source-notice').getAttribute('data-source')).toBe('waiting');
      expect(statusText()).toBe('Connected');
      expect(screen.getByTestId('status-indicator').querySelector('.fs-status-ping')).not.toBeNull();
      expect(screen.getByTestId('framestream-controls').getAttribute('data-source')).toBe('offline');
    });

    it('says since when, in local time, once a frame was shown', () => {
      render(<Controls status="connected" metrics={withFrames} source={{ online: false, offlineSince: since }} />);
      expect(screen.getByTestId('source-message').textContent).toBe('Source offline since 14:03:27');
      const time = screen.getByTestId('source-message').querySelector('time')!;
      expect(new Date(time.dateTime).getTime()).toBe(since);
      expect(screen.getByTestId('source-notice').getAttribute('data-source')).toBe('offline');
      expect(statusText()).toBe('Connected');
    });

    it('says nothing while the producer is connected, for a stream that does not report one, or while not connected', () => {
      const { rerender } = render(<Controls status="connected" metrics={withFrames} source={{ online: true, offlineSince: null }} />);
      expect(screen.queryByTestId('source-notice')).toBeNull();
      expect(screen.getByTestId('framestream-controls').getAttribute('data-source')).toBe('online');
      rerender(<Controls status="connected" metrics={withFrames} source={null} />);
      expect(screen.queryByTestId('source-notice')).toBeNull();
      expect(screen.getByTestId('framestream-controls').getAttribute('data-source')).toBeNull();
      rerender(<Controls status="reconnecting" metrics={withFrames} source={{ online: false, offlineSince: since }} />);
      expect(screen.queryByTestId('source-notice')).toBeNull();
    });

    it("reads the source from the stream's snapshot, and a source prop overrides it", () => {
      const offline = { source: { online: false, offlineSince: since } } as ControlsStream['snapshot'];
      const stream = fakeStream({ status: 'connected', metrics: withFrames, snapshot: offline });
      const { rerender } = render(<Controls stream={stream} />);
      expect(screen.getByTestId('source-message').textContent).toBe('Source offline since 14:03:27');
      rerender(<Controls stream={stream} source={{ online: true, offlineSince: null }} />);
      expect(screen.queryByTestId('source-notice')).toBeNull();
      // Back online in the snapshot: the notice goes.
      rerender(<Controls stream={{ ...stream, snapshot: { source: { online: true, offlineSince: null } } as ControlsStream['snapshot'] }} />);
      expect(screen.queryByTestId('source-notice')).toBeNull();
    });
  });

  describe('given the hook result as `stream`', () => {
    it('shows its status and figures and drives its connect and disconnect', () => {
      const stream = fakeStream({ status: 'connected', metrics: { ...EMPTY_METRICS, fps: 30 } });
      render(<Controls stream={stream} />);
      expect(screen.getByRole('status').textContent).toBe('Connected');
      expect(screen.getByTestId('metric-fps').textContent).toBe('30.0');
      fireEvent.click(button('Disconnect'));
      expect(stream.disconnect).toHaveBeenCalledTimes(1);
    });

    it('applies the FPS cap chosen in settings through setMaxFps', async () => {
      const stream = fakeStream({ status: 'connected' });
      const { rerender } = render(<Controls stream={stream} />);
      await openSettings();
      fireEvent.click(screen.getByTestId('max-fps-button'));
      fireEvent.click(await waitFor(() => screen.getByRole('option', { name: '15 fps' })));
      expect(stream.setMaxFps).toHaveBeenLastCalledWith(15);
      rerender(<Controls stream={{ ...stream, maxFps: 15 }} />);
      expect(screen.getByTestId('max-fps-button').textContent).toContain('15 fps');
    });

    it('leaves the FPS cap to the app when it passes maxFps', async () => {
      const stream = fakeStream({ status: 'connected' });
      const onMaxFpsChange = vi.fn();
      render(<Controls stream={stream} maxFps={null} onMaxFpsChange={onMaxFpsChange} />);
      await openSettings();
      fireEvent.click(screen.getByTestId('max-fps-button'));
      fireEvent.click(await waitFor(() => screen.getByRole('option', { name: '5 fps' })));
      expect(onMaxFpsChange).toHaveBeenLastCalledWith(5);
      expect(stream.setMaxFps).not.toHaveBeenCalled();
    });

    it('makes a StreamCanvas of the same client follow the fit chosen in settings', async () => {
      const stream = fakeStream({ status: 'connected' });
      render(
        <>
          <StreamCanvas client={stream.client} thread="main" data-testid="same-client" />
          <StreamCanvas client={fakeClient()} thread="main" data-testid="other-client" />
          <StreamCanvas client={stream.client} thread="main" fit="cover" data-testid="own-fit" />
          <Controls stream={stream} />
        </>,
      );
      expect(screen.getByTestId('same-client').dataset.fit).toBe('cover');
      await openSettings();
      fireEvent.click(screen.getByRole('radio', { name: 'contain' }));
      await waitFor(() => expect(screen.getByTestId('same-client').dataset.fit).toBe('contain'));
      expect(screen.getByRole('radio', { name: 'contain' }).getAttribute('aria-checked')).toBe('true');
      expect(screen.getByTestId('other-client').dataset.fit).toBe('cover');
      expect(screen.getByTestId('own-fit').dataset.fit).toBe('cover');
    });

    it('passes a fit the app controls on to the canvas too', () => {
      const stream = fakeStream({ status: 'connected' });
      const { rerender } = render(
        <>
          <StreamCanvas client={stream.client} thread="main" data-testid="canvas" />
          <Controls stream={stream} fit="contain" />
        </>,
      );
      expect(screen.getByTestId('canvas').dataset.fit).toBe('contain');
      rerender(
        <>
          <StreamCanvas client={stream.client} thread="main" data-testid="canvas" />
          <Controls stream={stream} fit="cover" />
        </>,
      );
      expect(screen.getByTestId('canvas').dataset.fit).toBe('cover');
    });
  });

  describe('settings menu', () => {
    it('changes the fit mode', async () => {
      const onFitChange = vi.fn();
      render(<Controls status="connected" fit="cover" onFitChange={onFitChange} />);
      await openSettings();
      expect(screen.getByRole('radio', { name: 'cover' }).getAttribute('aria-checked')).toBe('true');
      fireEvent.click(screen.getByRole('radio', { name: 'contain' }));
      expect(onFitChange).toHaveBeenCalledWith('contain');
    });

    it('changes the FPS cap, including back to unlimited', async () => {
      const onMaxFpsChange = vi.fn();
      const { rerender } = render(<Controls status="connected" maxFps={null} onMaxFpsChange={onMaxFpsChange} />);
      await openSettings();
      fireEvent.click(screen.getByTestId('max-fps-button'));
      fireEvent.click(await waitFor(() => screen.getByRole('option', { name: '10 fps' })));
      expect(onMaxFpsChange).toHaveBeenLastCalledWith(10);

      rerender(<Controls status="connected" maxFps={10} onMaxFpsChange={onMaxFpsChange} />);
      expect(screen.getByTestId('max-fps-button').textContent).toContain('10 fps');
      fireEvent.click(screen.getByTestId('max-fps-button'));
      fireEvent.click(await waitFor(() => screen.getByRole('option', { name: 'Unlimited' })));
      expect(onMaxFpsChange).toHaveBeenLastCalledWith(null);
    });

    it('hides and shows the metrics with its switch', async () => {
      render(<Controls status="connected" />);
      expect(screen.queryByTestId('metrics')).not.toBeNull();
      await openSettings();
      const toggle = screen.getByRole('switch', { name: 'Show metrics' });
      fireEvent.click(toggle);
      await waitFor(() => expect(screen.queryByTestId('metrics')).toBeNull());
      fireEvent.click(toggle);
      await waitFor(() => expect(screen.queryByTestId('metrics')).not.toBeNull());
    });
  });

  describe('dragging', () => {
    it('moves with the arrow keys on its handle and stays on screen', () => {
      render(<Controls status="disconnected" initialPosition={{ x: 40, y: 40 }} />);
      const panel = screen.getByTestId('framestream-controls');
      const handle = screen.getByRole('button', { name: /Move panel/ });
      act(() => {
        fireEvent.keyDown(handle, { key: 'ArrowRight' });
        fireEvent.keyDown(handle, { key: 'ArrowDown', shiftKey: true });
      });
      expect(panel.style.left).toBe('50px');
      expect(panel.style.top).toBe('90px');
      for (let i = 0; i < 5; i++) act(() => fireEvent.keyDown(handle, { key: 'ArrowLeft', shiftKey: true }));
      expect(panel.style.left).toBe('0px');
    });
  });
});

describe('clampToViewport', () => {
  it('keeps a box fully inside the viewport', () => {
    expect(clampToViewport({ x: -20, y: 900 }, 300, 200, 1024, 768)).toEqual({ x: 0, y: 568 });
    expect(clampToViewport({ x: 900, y: 10 }, 300, 200, 1024, 768)).toEqual({ x: 724, y: 10 });
  });

  it('pins a box larger than the viewport to the top-left corner', () => {
    expect(clampToViewport({ x: 50, y: 50 }, 2000, 2000, 1024, 768)).toEqual({ x: 0, y: 0 });
  });
});

describe('Controls on an interactive stream', () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  const session = (over: Partial<SessionInfo> = {}): SessionInfo => ({
    state: 'active',
    position: null,
    id: 'k3',
    expiresAt: null,
    spectator: false,
    reason: null,
    ...over,
  });
  /** A client with the session methods, recording what it was asked. */
  const sessionClient = () => Object.assign(fakeClient(), { setParams: vi.fn(), sendFrame: vi.fn() });
  const connected = { status: 'connected' as ClientStatus, metrics: { ...EMPTY_METRICS, fps: 30, roundTripP50: 57.4, roundTripP95: 80 } };

  it('sends the prompt once, 300 ms after the last key', () => {
    vi.useFakeTimers();
    const client = sessionClient();
    render(<Controls stream={fakeStream({ ...connected, client })} session={session()} />);
    const box = screen.getByLabelText('Prompt');
    for (const text of ['a', 'a c', 'a cat', 'a cat in', 'a cat in snow']) {
      fireEvent.change(box, { target: { value: text } });
      act(() => void vi.advanceTimersByTime(100));
    }
    expect(client.setParams).not.toHaveBeenCalled();
    act(() => void vi.advanceTimersByTime(200));
    expect(client.setParams).toHaveBeenCalledTimes(1);
    expect(client.setParams).toHaveBeenCalledWith({ prompt: 'a cat in snow' });
    act(() => void vi.advanceTimersByTime(2000));
    expect(client.setParams).toHaveBeenCalledTimes(1);
  });

  it('sends a prompt still waiting at once on Enter, and not again after', () => {
    vi.useFakeTimers();
    const onParamsChange = vi.fn();
    render(<Controls status="connected" session={session()} onParamsChange={onParamsChange} />);
    const box = screen.getByLabelText('Prompt');
    fireEvent.change(box, { target: { value: 'neon city' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onParamsChange).toHaveBeenCalledWith({ prompt: 'neon city' });
    act(() => void vi.advanceTimersByTime(1000));
    expect(onParamsChange).toHaveBeenCalledTimes(1);
  });

  it('sends the prompt typed while queued again once the session starts', () => {
    vi.useFakeTimers();
    const client = sessionClient();
    const { rerender } = render(<Controls stream={fakeStream({ client })} status="connected" session={session({ state: 'queued', position: 1 })} />);
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'watercolour' } });
    act(() => void vi.advanceTimersByTime(300));
    expect(client.setParams).toHaveBeenCalledTimes(1);
    rerender(<Controls stream={fakeStream({ client })} status="connected" session={session()} />);
    expect(client.setParams).toHaveBeenCalledTimes(2);
    expect(client.setParams).toHaveBeenLastCalledWith({ prompt: 'watercolour' });
  });

  it('shows the place in the queue, read from the stream snapshot', () => {
    const snapshot = { session: session({ state: 'queued', position: 2, id: null }) } as unknown as ControlsStream['snapshot'];
    render(<Controls stream={fakeStream({ status: 'connected', snapshot })} />);
    expect(screen.getByTestId('session-queue').textContent).toBe('Queued: 2nd in line');
    expect(screen.queryByTestId('metric-round-trip')?.textContent).toBe('—');
  });

  it.each([
    [1, '1st'],
    [3, '3rd'],
    [11, '11th'],
    [22, '22nd'],
  ])('says position %i as %s in line', (position, text) => {
    render(<Controls status="connected" session={session({ state: 'queued', position })} />);
    expect(screen.getByTestId('session-queue').textContent).toBe(`Queued: ${text} in line`);
  });

  it('shows the round trip beside latency and inference', () => {
    render(<Controls {...connected} session={session()} />);
    const figure = screen.getByTestId('metric-round-trip');
    expect(figure.textContent).toBe('57ms');
    expect(figure.getAttribute('data-value')).toBe('57.4');
    const labels = [...document.querySelectorAll('.fs-metric-label')].map((l) => l.textContent);
    expect(labels.slice(0, 4)).toEqual(['FPS', 'Latency', 'Inference', 'Round trip']);
  });

  it('shows no round trip, prompt or session notice for a broadcast stream', () => {
    render(<Controls {...connected} session={null} />);
    expect(screen.queryByTestId('metric-round-trip')).toBeNull();
    expect(screen.queryByLabelText('Prompt')).toBeNull();
    expect(screen.queryByTestId('session')).toBeNull();
  });

  it('counts down the time the session has left', () => {
    vi.useFakeTimers();
    render(<Controls {...connected} session={session({ expiresAt: Date.now() + 90_000 })} />);
    expect(screen.getByTestId('session-time-left').textContent).toBe('1:30 left');
    act(() => void vi.advanceTimersByTime(31_000));
    expect(screen.getByTestId('session-time-left').textContent).toBe('0:59 left');
  });

  it('says the session ended and why, without a prompt box', () => {
    render(<Controls status="disconnected" session={session({ state: 'ended', reason: 'Session time limit (120 s) reached' })} />);
    expect(screen.getByTestId('session-ended').textContent).toBe('Session ended');
    expect(screen.getByTestId('session-reason').textContent).toBe('Session time limit (120 s) reached');
    expect(screen.queryByLabelText('Prompt')).toBeNull();
  });

  it('offers a new session once one ended, without calling it a failed connection', () => {
    const failure = { code: 'ERR_SESSION_TIMEOUT', message: 'Session time limit (120 s) reached', url: 'ws://h/ws/', closeCode: 4408 } as const;
    const onConnect = vi.fn();
    render(<Controls status="error" failure={failure} onConnect={onConnect} session={session({ state: 'ended', reason: failure.message })} />);
    expect(screen.getByTestId('status-indicator').textContent).toBe('Disconnected');
    expect(screen.queryByTestId('failure')).toBeNull();
    fireEvent.click(button('New session'));
    expect(onConnect).toHaveBeenCalledTimes(1);
  });

  it('sends the prompt the box starts with once the session is active', () => {
    const client = sessionClient();
    const { rerender } = render(
      <Controls stream={fakeStream({ client })} status="connected" defaultPrompt="oil painting" session={session({ state: 'queued', position: 3 })} />,
    );
    expect(client.setParams).not.toHaveBeenCalled();
    rerender(<Controls stream={fakeStream({ client })} status="connected" defaultPrompt="oil painting" session={session()} />);
    expect(client.setParams).toHaveBeenCalledWith({ prompt: 'oil painting' });
  });

  it('gives a spectator no prompt box', () => {
    render(<Controls {...connected} session={session({ spectator: true })} />);
    expect(screen.getByTestId('session').textContent).toContain('Watching a session');
    expect(screen.queryByLabelText('Prompt')).toBeNull();
  });
});
