// @vitest-environment jsdom
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type Frame } from '../../src/client/index.js';
import { useFrameStream } from '../../src/react/index.js';
import { startCountingServer, type CountingServer } from './support/stream-server.js';

// jsdom's WebSocket is not dependable for this; the client takes `ws`'s.
const WAIT = { timeout: 15_000, interval: 20 };

/** Lets a few event-loop turns pass so a stray second connection would show up. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('useFrameStream', () => {
  let server: CountingServer;

  beforeEach(async () => {
    server = await startCountingServer();
  });

  afterEach(async () => {
    cleanup();
    await server.close();
  });

  describe('in Strict Mode', () => {
    it('opens exactly one socket for the double mount', async () => {
      const { result } = renderHook(() => useFrameStream({ url: server.url, WebSocket, autoConnect: true }), {
        wrapper: StrictMode,
      });
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      await settle();
      expect(server.connections).toBe(1);
      expect(server.open).toBe(1);
    });

    it('leaves no socket open after unmounting', async () => {
      const { result, unmount } = renderHook(
        () => useFrameStream({ url: server.url, WebSocket, autoConnect: true }),
        { wrapper: StrictMode },
      );
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      unmount();
      await waitFor(() => expect(server.open).toBe(0), WAIT);
      expect(server.connections).toBe(1);
    });
  });

  describe('#onFrame', () => {
    it('calls the newest callback without reconnecting when the callback changes', async () => {
      const first = vi.fn<(frame: Frame) => void>();
      const second = vi.fn<(frame: Frame) => void>();
      const { result, rerender } = renderHook(
        ({ onFrame }) => useFrameStream({ url: server.url, WebSocket, autoConnect: true, onFrame }),
        { initialProps: { onFrame: first } },
      );
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      server.sendFrame(1);
      await waitFor(() => expect(first).toHaveBeenCalledTimes(1), WAIT);

      rerender({ onFrame: second });
      server.sendFrame(2);
      await waitFor(() => expect(second).toHaveBeenCalledTimes(1), WAIT);
      expect(second.mock.calls[0]?.[0].seq).toBe(2);
      expect(first).toHaveBeenCalledTimes(1);
      await settle();
      expect(server.connections).toBe(1);
      expect(result.current.status).toBe('connected');
    });
  });

  describe('#connect and #disconnect', () => {
    it('stays disconnected until connect() and closes the socket on disconnect()', async () => {
      const { result } = renderHook(() => useFrameStream({ url: server.url, WebSocket }));
      await waitFor(() => expect(result.current.client).not.toBeNull(), WAIT);
      await settle();
      expect(result.current.status).toBe('disconnected');
      expect(server.connections).toBe(0);

      act(() => result.current.connect());
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      expect(server.open).toBe(1);

      act(() => result.current.disconnect());
      expect(result.current.status).toBe('disconnected');
      await waitFor(() => expect(server.open).toBe(0), WAIT);
    });

    it('connects when connect() is called before the client exists', async () => {
      const { result } = renderHook(() => {
        const stream = useFrameStream({ url: server.url, WebSocket });
        // Called during the very first render, before any effect has run.
        if (stream.client === null) stream.connect();
        return stream;
      });
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      expect(server.connections).toBe(1);
    });
  });

  describe('changing options', () => {
    it('moves to a new server when `url` changes, closing the old socket', async () => {
      const other = await startCountingServer();
      try {
        const { result, rerender } = renderHook(({ url }) => useFrameStream({ url, WebSocket, autoConnect: true }), {
          initialProps: { url: server.url },
        });
        await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
        const first = result.current.client;
        rerender({ url: other.url });
        await waitFor(() => expect(other.open).toBe(1), WAIT);
        await waitFor(() => expect(server.open).toBe(0), WAIT);
        await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
        expect(result.current.client).not.toBe(first);
        // The callbacks act on the new client.
        act(() => result.current.disconnect());
        await waitFor(() => expect(other.open).toBe(0), WAIT);
      } finally {
        await other.close();
      }
    });
  });

  describe('#metrics', () => {
    it('counts received frames in its metrics', async () => {
      const { result } = renderHook(() =>
        useFrameStream({ url: server.url, WebSocket, autoConnect: true, fpsInterval: 200 }),
      );
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      for (let seq = 1; seq <= 5; seq++) server.sendFrame(seq);
      await waitFor(() => expect(result.current.metrics.framesReceived).toBe(5), WAIT);
    });
  });

  describe('#setMaxFps', () => {
    it('sends the cap to the server and keeps it for the next connection', async () => {
      const { result } = renderHook(() => useFrameStream({ url: server.url, WebSocket, autoConnect: true }));
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      act(() => result.current.setMaxFps(10));
      await waitFor(() => expect(server.messages).toContainEqual({ type: 'setMaxFps', fps: 10 }), WAIT);
      expect(result.current.maxFps).toBe(10);

      act(() => result.current.disconnect());
      server.messages.length = 0;
      act(() => result.current.connect());
      await waitFor(() => expect(server.messages).toContainEqual({ type: 'setMaxFps', fps: 10 }), WAIT);
    });

    it('throws a RangeError naming `maxFps` for a non-positive cap', async () => {
      const { result } = renderHook(() => useFrameStream({ url: server.url, WebSocket }));
      expect(() => result.current.setMaxFps(0)).toThrow(/`maxFps`.*got `0`/);
    });
  });

  describe('options', () => {
    it('holds no client and does not throw while `url` is empty or missing', async () => {
      const { result, rerender } = renderHook(({ url }: { url?: string }) => useFrameStream({ url, WebSocket, autoConnect: true }), {
        initialProps: { url: '' } as { url?: string },
      });
      await settle();
      expect(result.current.client).toBeNull();
      expect(result.current.status).toBe('disconnected');
      rerender({});
      await settle();
      expect(result.current.client).toBeNull();
      expect(server.connections).toBe(0);
      // Once the URL is known, it connects as asked.
      rerender({ url: server.url });
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
    });

    it('holds no client while `enabled` is false, and connects when it turns true', async () => {
      const { result, rerender } = renderHook(({ enabled }) => useFrameStream({ url: server.url, WebSocket, autoConnect: true, enabled }), {
        initialProps: { enabled: false },
      });
      await settle();
      expect(result.current.client).toBeNull();
      expect(result.current.status).toBe('disconnected');
      expect(server.connections).toBe(0);
      rerender({ enabled: true });
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      rerender({ enabled: false });
      await waitFor(() => expect(server.open).toBe(0), WAIT);
      expect(result.current.status).toBe('disconnected');
      expect(result.current.client).toBeNull();
    });

    it('throws a TypeError naming an unknown option and the closest known one, its own or the client’s', () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const render = (options: object) => () => renderHook(() => useFrameStream({ url: server.url, WebSocket, ...options }));
        expect(render({ onFrames: () => {} })).toThrow(new TypeError('Unknown useFrameStream option `onFrames`; did you mean `onFrame`?'));
        expect(render({ reconectDelay: 1 })).toThrow(/Unknown useFrameStream option `reconectDelay`; did you mean `reconnectPolicy`\?/);
        expect(render({ enabeld: false })).toThrow(/did you mean `enabled`\?/);
      } finally {
        error.mockRestore();
      }
    });

    it('warns once in development when an option read only at creation changes, and does not reconnect', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const { result, rerender } = renderHook(
          ({ fpsInterval }) => useFrameStream({ url: server.url, WebSocket, autoConnect: true, fpsInterval, stopOnCloseCodes: [4401] }),
          { initialProps: { fpsInterval: 1000 } },
        );
        await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
        rerender({ fpsInterval: 1000 }); // a new array for stopOnCloseCodes, the same codes: no warning
        expect(warn).not.toHaveBeenCalled();
        rerender({ fpsInterval: 500 });
        rerender({ fpsInterval: 250 });
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toMatch(/`fpsInterval` changed from `1000` to `500`, but it is read only when the client is created/);
        await settle();
        expect(server.connections).toBe(1);
      } finally {
        warn.mockRestore();
      }
    });

    it('throws a TypeError naming `thread` for an unknown thread', () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const render = () => renderHook(() => useFrameStream({ url: server.url, WebSocket, thread: 'gpu' as 'main' }));
        expect(render).toThrow(TypeError);
        expect(render).toThrow(/`thread`.*got `gpu`/);
      } finally {
        error.mockRestore();
      }
    });

    it('keeps a FrameStreamClient on the main thread where workers are unavailable, and with a function option', async () => {
      // jsdom has no Worker or OffscreenCanvas; the `WebSocket` option is a
      // function, which cannot cross to a worker either.
      const { result } = renderHook(() => useFrameStream({ url: server.url, WebSocket, autoConnect: true }));
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      expect(result.current.client).toBeInstanceOf(FrameStreamClient);
    });
  });
});
