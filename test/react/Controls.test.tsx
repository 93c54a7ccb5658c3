// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientStatus } from '../../src/client/index.js';
import { Controls, EMPTY_METRICS, clampToViewport } from '../../src/react/index.js';

// jsdom has no layout engine and so no ResizeObserver; Headless UI's listbox
// only uses one to follow its button around. Real layout is covered by the
// Storybook tests in Chromium.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

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
      expect(button('Connect').disabled).toBe(!connect);
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
      expect(screen.getByTestId('status-indicator').querySelector('.animate-ping')).toBeNull();
      rerender(<Controls status="connected" />);
      expect(screen.getByRole('status').textContent).toBe('Connected');
      expect(screen.getByTestId('status-indicator').querySelector('.animate-ping')).not.toBeNull();
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
      expect(screen.getByTestId('metric-latency').textContent).toBe('–');
    });
  });

  describe('settings menu', () => {
    const openSettings = async () => {
      fireEvent.click(button('Settings'));
      return waitFor(() => screen.getByTestId('settings-panel'));
    };

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
