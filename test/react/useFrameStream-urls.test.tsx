// @vitest-environment jsdom
import { cleanup, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { UrlContext, UrlOption } from '../../src/client/index.js';
import { useFrameStream } from '../../src/react/index.js';
import { TestStreamServer } from '../client/support/stream-server.js';

// useFrameStream with several server nodes: `url` as an array or a
// function, against real servers on loopback.
const WAIT = { timeout: 15_000, interval: 20 };

/** Lets a few event-loop turns pass so a stray reconnect would show up. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

const servers: TestStreamServer[] = [];

afterEach(async () => {
  cleanup();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServers(n: number): Promise<TestStreamServer[]> {
  const started = await Promise.all(Array.from({ length: n }, () => TestStreamServer.start({ mode: 'framed' })));
  servers.push(...started);
  return started;
}

function renderWithUrl(url: UrlOption) {
  return renderHook(({ url }) => useFrameStream({ url, WebSocket, autoConnect: true, initialDelayMs: 20, jitter: 0 }), {
    initialProps: { url },
  });
}

describe('useFrameStream', () => {
  describe('#url (an array)', () => {
    it('keeps its client when a new array holds the same URLs, and connects anew when they change', async () => {
      const [a, b, c] = await startServers(3);
      const { result, rerender } = renderWithUrl([a!.url, b!.url]);
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      const client = result.current.client;
      expect(client!.url).toBe(a!.url);

      rerender({ url: [a!.url, b!.url] }); // an inline array: a new object, the same URLs
      await settle();
      expect(result.current.client).toBe(client);
      expect(a!.connections).toBe(1);

      rerender({ url: [c!.url, a!.url] });
      await waitFor(() => expect(c!.connections).toBe(1), WAIT);
      await waitFor(() => expect(result.current.snapshot?.url).toBe(c!.url), WAIT);
      expect(result.current.client).not.toBe(client);
      expect(a!.sockets.size).toBe(0);
    });

    it('fails over to the next URL when the node it is on drops its viewers', async () => {
      const [a, b] = await startServers(2);
      const { result } = renderWithUrl([a!.url, b!.url]);
      await waitFor(() => expect(result.current.snapshot?.url).toBe(a!.url), WAIT);
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      await a!.close();
      await waitFor(() => expect(b!.connections).toBe(1), WAIT);
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      expect(result.current.snapshot?.url).toBe(b!.url);
    });

    it('holds no client for an empty array, as for an empty string', async () => {
      const { result } = renderWithUrl([]);
      await settle();
      expect(result.current.client).toBeNull();
      expect(result.current.status).toBe('disconnected');
    });

    it('throws a TypeError naming the entry of `url` that is not a URL string', () => {
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const render = (url: unknown) => () => renderHook(() => useFrameStream({ url: url as string, WebSocket }));
        expect(render(['ws://127.0.0.1:9/', 7])).toThrow(new TypeError('Expected `url[1]` to be a non-empty string, got `7`'));
        expect(render({ href: 'ws://127.0.0.1:9/' })).toThrow(/Expected `url` to be a URL, an array of URLs or a function/);
      } finally {
        error.mockRestore();
      }
    });
  });

  describe('#url (a function)', () => {
    it('does not reconnect for a new function on each render, and asks the newest at the next attempt', async () => {
      const [a, b] = await startServers(2);
      const asked: string[] = [];
      const provider = (name: string, url: string) => (context: UrlContext) => {
        asked.push(`${name}:${context.attempt}`);
        return url;
      };
      const { result, rerender } = renderWithUrl(provider('first', a!.url));
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      const client = result.current.client;

      rerender({ url: provider('second', b!.url) });
      await settle();
      expect(result.current.client).toBe(client);
      expect(a!.connections).toBe(1);

      for (const ws of a!.sockets) ws.terminate();
      await waitFor(() => expect(b!.connections).toBe(1), WAIT);
      await waitFor(() => expect(result.current.status).toBe('connected'), WAIT);
      expect(result.current.client).toBe(client);
      expect(client!.url).toBe(b!.url);
      expect(asked).toEqual(['first:0', 'second:1']);
    });
  });
});
