// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientSnapshot } from '../../src/client/index.js';
import { CameraInput, type InputFrameSource, type SendFrameOptions, type SessionClient, type SessionInfo } from '../../src/react/index.js';
import { createPacer, cropToAspect } from '../../src/react/capture.js';

// jsdom has no camera, no MediaStream and does not play video. These tests
// cover what the hook decides (states, when it sends, what it releases)
// with a stand-in camera; test/react/camera.browser.test.ts drives the real
// thing in Chromium with its fake camera.

interface FakeTrack {
  kind: 'video';
  enabled: boolean;
  readyState: 'live' | 'ended';
  stop: ReturnType<typeof vi.fn>;
  clone: () => FakeTrack;
  addEventListener: (type: string, fn: () => void) => void;
  end: () => void;
}

function fakeTrack(): FakeTrack {
  const ended: Array<() => void> = [];
  const track: FakeTrack = {
    kind: 'video',
    enabled: true,
    readyState: 'live',
    stop: vi.fn(() => void (track.readyState = 'ended')),
    clone: () => fakeTrack(),
    addEventListener: (type, fn) => void (type === 'ended' && ended.push(fn)),
    end: () => {
      track.readyState = 'ended';
      ended.forEach((fn) => fn());
    },
  };
  return track;
}

function fakeCamera() {
  const tracks: FakeTrack[] = [];
  const open = vi.fn(async () => {
    const track = fakeTrack();
    tracks.push(track);
    return { getTracks: () => [track], getVideoTracks: () => [track] } as unknown as MediaStream;
  });
  return { open, tracks };
}

const refuse = (name: string) => vi.fn(() => Promise.reject(new DOMException('refused', name)));

const snapshotWith = (session: SessionInfo | null, status = 'connected') =>
  ({ status, stats: { stream: { width: 320, height: 240, fps: 10 } }, session }) as unknown as ClientSnapshot;
const ACTIVE: SessionInfo = { state: 'active', position: null, id: 's1', expiresAt: null, spectator: false, reason: null };

/** A client that records sendFrame and reports the given session. */
function recordingClient(session: SessionInfo | null = ACTIVE) {
  let snapshot = snapshotWith(session);
  const listeners = new Set<() => void>();
  const sent: Array<{ width?: number; height?: number }> = [];
  const client: SessionClient & { sent: typeof sent; setSession(s: SessionInfo | null): void } = {
    sent,
    sendFrame: vi.fn((frame: InputFrameSource, options?: SendFrameOptions) => {
      sent.push(options ?? {});
      (frame as ImageBitmap).close();
      return 'sent';
    }),
    setParams: vi.fn(),
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
    getSnapshot: () => snapshot,
    setSession(s) {
      snapshot = snapshotWith(s);
      listeners.forEach((l) => l());
    },
  };
  return client;
}

const state = () => screen.getByTestId('camera-input').getAttribute('data-state');

beforeEach(() => {
  // What the <video> fallback needs: a MediaStream, play(), and a frame to take.
  vi.stubGlobal('MediaStream', class {
    constructor(readonly tracks: unknown[]) {}
  });
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockImplementation(() => Promise.resolve());
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => {});
  vi.spyOn(HTMLMediaElement.prototype, 'readyState', 'get').mockReturnValue(4);
  vi.spyOn(HTMLVideoElement.prototype, 'videoWidth', 'get').mockReturnValue(640);
  vi.spyOn(HTMLVideoElement.prototype, 'videoHeight', 'get').mockReturnValue(480);
  vi.stubGlobal('createImageBitmap', vi.fn(async () => ({ close: vi.fn() })));
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('CameraInput', () => {
  it('unmounts cleanly whatever onStateChange returns', async () => {
    const seen: string[] = [];
    const { unmount } = render(
      <CameraInput client={null} getUserMedia={refuse('NotFoundError')} onStateChange={(s) => seen.push(s)} />,
    );
    await act(async () => {});
    expect(() => unmount()).not.toThrow();
    expect(seen.length).toBeGreaterThan(0);
  });

  describe('states', () => {
    it('is asking while the browser asks, then running with a preview', async () => {
      let grant!: () => void;
      const camera = fakeCamera();
      const open = vi.fn((c: MediaStreamConstraints) => new Promise<MediaStream>((r) => (grant = () => r(camera.open()))));
      render(<CameraInput client={null} getUserMedia={open} />);
      expect(state()).toBe('asking');
      expect(screen.getByTestId('camera-state').textContent).toBe('Allow the camera…');
      await act(async () => grant());
      expect(state()).toBe('running');
      expect(screen.getByTestId('camera-preview').hidden).toBe(false);
      // Asked near the size and rate it sends (512×512 at 30 without a stream to say).
      expect(open.mock.calls[0]![0]).toEqual({
        audio: false,
        video: { facingMode: 'user', width: { ideal: 512 }, height: { ideal: 512 }, frameRate: { ideal: 30 } },
      });
    });

    it.each([
      ['NotAllowedError', 'denied', 'Camera blocked'],
      ['NotFoundError', 'no-camera', 'No camera found'],
      ['NotReadableError', 'error', 'Camera failed'],
    ])('shows %s as %s, and asks again on Try again', async (name, expected, text) => {
      const open = refuse(name);
      render(<CameraInput client={null} getUserMedia={open} />);
      await act(async () => {});
      expect(state()).toBe(expected);
      expect(screen.getByTestId('camera-state').textContent).toBe(text);
      expect(screen.getByTestId('camera-preview').hidden).toBe(true);
      fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
      await act(async () => {});
      expect(open).toHaveBeenCalledTimes(2);
    });

    it('pauses and resumes from its button, disabling the track meanwhile', async () => {
      const camera = fakeCamera();
      render(<CameraInput client={null} getUserMedia={camera.open} />);
      await act(async () => {});
      fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
      expect(state()).toBe('paused');
      expect(camera.tracks[0]!.enabled).toBe(false);
      fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
      expect(state()).toBe('running');
      expect(camera.tracks[0]!.enabled).toBe(true);
    });

    it('is off, with the camera released, when not enabled', async () => {
      const camera = fakeCamera();
      const { rerender } = render(<CameraInput client={null} getUserMedia={camera.open} />);
      await act(async () => {});
      rerender(<CameraInput client={null} getUserMedia={camera.open} enabled={false} />);
      expect(state()).toBe('off');
      expect(camera.tracks[0]!.stop).toHaveBeenCalled();
    });

    it('says so when the camera goes away', async () => {
      const camera = fakeCamera();
      render(<CameraInput client={null} getUserMedia={camera.open} />);
      await act(async () => {});
      act(() => camera.tracks[0]!.end());
      expect(state()).toBe('error');
      expect(screen.getByTestId('camera-detail').textContent).toMatch(/camera stopped/);
    });
  });

  describe('sending', () => {
    it('sends at the stream size and fps while the session is active, nothing while queued or paused', async () => {
      vi.useFakeTimers();
      const camera = fakeCamera();
      const client = recordingClient({ ...ACTIVE, state: 'queued', position: 1, id: null });
      render(<CameraInput client={client} getUserMedia={camera.open} />);
      await act(async () => {});
      await act(() => vi.advanceTimersByTimeAsync(1000));
      expect(client.sent).toEqual([]);
      expect(screen.getByTestId('camera-sending').textContent).toBe('Waiting for a session');

      act(() => client.setSession(ACTIVE));
      await act(() => vi.advanceTimersByTimeAsync(1000));
      expect(screen.getByTestId('camera-sending').textContent).toBe('Sending 320×240, 10 fps');
      // The stream's hello said 10 fps and 320×240.
      expect(client.sent.length).toBeGreaterThanOrEqual(9);
      expect(client.sent.length).toBeLessThanOrEqual(11);
      expect(client.sent[0]).toMatchObject({ width: 320, height: 240 });
      expect(typeof (client.sent[0] as { captureTime?: number }).captureTime).toBe('number');
      // Cropped to 4:3 from the 640×480 camera and scaled by the browser.
      expect(vi.mocked(createImageBitmap).mock.calls[0]!.slice(1)).toEqual([0, 0, 640, 480, expect.objectContaining({ resizeWidth: 320, resizeHeight: 240 })]);

      fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
      const before = client.sent.length;
      await act(() => vi.advanceTimersByTimeAsync(1000));
      expect(client.sent.length).toBe(before);
    });

    it('closes a frame the client dropped', async () => {
      vi.useFakeTimers();
      const camera = fakeCamera();
      const bitmap = { close: vi.fn() };
      vi.mocked(createImageBitmap).mockResolvedValue(bitmap as unknown as ImageBitmap);
      const client = { ...recordingClient(), sendFrame: vi.fn(() => 'dropped') };
      render(<CameraInput client={client} getUserMedia={camera.open} fps={5} />);
      await act(async () => {});
      await act(() => vi.advanceTimersByTimeAsync(500));
      expect(client.sendFrame).toHaveBeenCalled();
      expect(bitmap.close).toHaveBeenCalled();
    });
  });

  it('releases the camera and shows the error when the client refuses a frame by throwing', async () => {
    vi.useFakeTimers();
    const camera = fakeCamera();
    const client = {
      ...recordingClient(),
      sendFrame: vi.fn(() => {
        throw new TypeError('Expected `frame` to be JPEG bytes');
      }),
    };
    render(<CameraInput client={client} getUserMedia={camera.open} fps={5} />);
    await act(async () => {});
    await act(() => vi.advanceTimersByTimeAsync(500));
    expect(state()).toBe('error');
    expect(screen.getByTestId('camera-detail').textContent).toBe('Sending camera frames failed: Expected `frame` to be JPEG bytes');
    expect(camera.tracks[0]!.stop).toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('on unmount', () => {
    it('stops the tracks and every timer, and sends nothing more', async () => {
      vi.useFakeTimers();
      const camera = fakeCamera();
      const client = recordingClient();
      const view = render(<CameraInput client={client} getUserMedia={camera.open} />);
      await act(async () => {});
      await act(() => vi.advanceTimersByTimeAsync(500));
      expect(client.sent.length).toBeGreaterThan(0);
      view.unmount();
      expect(camera.tracks[0]!.stop).toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
      const sent = client.sent.length;
      await vi.advanceTimersByTimeAsync(1000);
      expect(client.sent.length).toBe(sent);
    });

    it("stops a camera granted after unmount (Strict Mode's double mount leaves one open)", async () => {
      const grants: Array<() => void> = [];
      const camera = fakeCamera();
      const open = vi.fn(() => new Promise<MediaStream>((r) => grants.push(() => r(camera.open()))));
      const view = render(
        <StrictMode>
          <CameraInput client={null} getUserMedia={open} />
        </StrictMode>,
      );
      await act(async () => grants.forEach((g) => g()));
      const live = () => camera.tracks.filter((t) => t.readyState === 'live').length;
      expect(live()).toBe(1);
      expect(state()).toBe('running');
      view.unmount();
      await act(async () => {});
      expect(camera.tracks.length).toBe(open.mock.calls.length);
      expect(live()).toBe(0);
    });
  });
});

describe('capture helpers', () => {
  it('crops to the target aspect, centred, on even pixels', () => {
    expect(cropToAspect(640, 480, 512, 512)).toEqual({ x: 80, y: 0, width: 480, height: 480 });
    expect(cropToAspect(640, 480, 320, 240)).toEqual({ x: 0, y: 0, width: 640, height: 480 });
    expect(cropToAspect(480, 640, 512, 288)).toEqual({ x: 0, y: 184, width: 480, height: 270 });
  });

  it('paces a 30 fps camera to 10 fps, and lets every frame through at its own rate', () => {
    const count = (cap: number, cameraFps: number) => {
      const due = createPacer(cap);
      let n = 0;
      for (let i = 0; i < cameraFps * 10; i++) if (due(i * (1000 / cameraFps) + (i % 3) - 1)) n++;
      return n / 10;
    };
    expect(count(10, 30)).toBeCloseTo(10, 0);
    expect(count(30, 30)).toBeCloseTo(30, 0);
    expect(count(15, 30)).toBeCloseTo(15, 0);
  });
});
