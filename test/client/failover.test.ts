import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type Frame, type FrameStreamClientOptions, type FrameStreamError, type UrlContext } from '../../src/client/index.js';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { freePort, TestStreamServer } from './support/stream-server.js';
import { nextEvent, record, waitUntil } from './support/wait.js';

// Several server nodes behind one client: `url` as an array (round robin)
// or as a function, against real servers on loopback.

interface Node {
  http: Server;
  stream: FrameStreamServer;
  url: string;
}

const nodes: Node[] = [];
const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(nodes.splice(0).map(stopNode));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A framestream node: createFrameStreamServer on its own http server, its frames `width` wide. */
async function startNode(width: number): Promise<Node> {
  const http = createHostServer();
  const stream = createFrameStreamServer({ server: http, source: 'pattern', width, height: 48, fps: 20 });
  stream.on('error', () => {});
  const node = { http, stream, url: `ws://127.0.0.1:${await listen(http)}/ws/test/` };
  nodes.push(node);
  return node;
}

async function stopNode(node: Node): Promise<void> {
  await node.stream.close();
  await closeServer(node.http);
}

async function startTestServer(): Promise<TestStreamServer> {
  const server = await TestStreamServer.start({ mode: 'framed', fps: 20 });
  servers.push(server);
  return server;
}

const deadUrl = async () => `ws://127.0.0.1:${await freePort()}/ws/test/`;

/** `ws`'s WebSocket, recording the URL of every socket the client opens. */
function recordingWebSocket() {
  const tried: string[] = [];
  class Recording extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      tried.push(url);
    }
  }
  return { WebSocket: Recording, tried };
}

function makeClient(options: FrameStreamClientOptions): FrameStreamClient {
  const client = new FrameStreamClient({ WebSocket, initialDelayMs: 20, maxDelayMs: 100, jitter: 0, ...options });
  clients.push(client);
  return client;
}

describe('FrameStreamClient', () => {
  describe('#constructor with several URLs', () => {
    it('throws a TypeError naming `url` for an empty array, a bad entry or another type', () => {
      const ok = { WebSocket };
      expect(() => new FrameStreamClient({ ...ok, url: [] })).toThrow(new TypeError('Expected `url` to hold at least one URL, got an empty array'));
      expect(() => new FrameStreamClient({ ...ok, url: ['ws://a/', 5 as never] })).toThrow(new TypeError('Expected `url[1]` to be a non-empty string, got `5`'));
      expect(() => new FrameStreamClient({ ...ok, url: ['ws://a/', ''] })).toThrow(/`url\[1\]`/);
      expect(() => new FrameStreamClient({ ...ok, url: ['ftp://x/'] })).toThrow(new TypeError('Expected `url[0]` to be a ws:// or wss:// URL, got `ftp://x/`'));
      expect(() => new FrameStreamClient({ ...ok, url: 5 as never })).toThrow(new TypeError('Expected `url` to be a URL, an array of URLs or a function, got `5`'));
    });

    it('resolves every URL at once and names the first as the one it will connect to', () => {
      const client = makeClient({ url: ['http://127.0.0.1:9/a/', 'https://127.0.0.1:9/b/'] });
      expect(client.url).toBe('ws://127.0.0.1:9/a/');
      expect(client.getSnapshot().url).toBe('ws://127.0.0.1:9/a/');
    });
  });

  describe('#url (an array)', () => {
    it('moves to the next node when its node closes, and receives that node’s frames', async () => {
      const [first, second] = [await startNode(64), await startNode(96)];
      const client = makeClient({ url: [first.url, second.url] });
      const rec = record(client, ['open', 'reconnecting']);
      const widths: number[] = [];
      client.on('frame', (f: Frame) => widths.push(f.width));
      client.connect();
      await waitUntil(() => widths.length >= 3, 'frames from the first node');
      expect(client.url).toBe(first.url);
      expect(widths.every((w) => w === 64)).toBe(true);

      await stopNode(first);
      await waitUntil(() => widths.filter((w) => w === 96).length >= 3, 'frames from the second node');
      expect(client.status).toBe('connected');
      expect(client.url).toBe(second.url);
      expect(client.getSnapshot().url).toBe(second.url);
      expect(rec.of('open').map((o) => o.url)).toEqual([first.url, second.url]);
      expect(rec.of('reconnecting')).toEqual([{ attempt: 1, delayMs: 20 }]);
    });

    it('passes over a node that is down and comes back round to the first after the last', async () => {
      const [server, dead] = [await startTestServer(), await deadUrl()];
      const { WebSocket: WS, tried } = recordingWebSocket();
      const client = makeClient({ url: [server.url, dead], WebSocket: WS });
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      client.connect();
      await nextEvent(client, 'open');
      // The node drops every connection, as a crashing process does: the
      // next attempt goes to the dead URL, the one after back to the first.
      for (const ws of server.sockets) ws.terminate();
      await nextEvent(client, 'open');
      expect(tried).toEqual([server.url, dead, server.url]);
      expect(errors.map((e) => e.code)).toEqual(['ERR_UNREACHABLE']);
      expect(errors[0]!.message).toContain(dead);
    });

    it('counts attempts across URLs: maxConnectAttempts is the total, whichever node each went to', async () => {
      const urls = [await deadUrl(), await deadUrl()];
      const { WebSocket: WS, tried } = recordingWebSocket();
      const client = makeClient({ url: urls, WebSocket: WS, maxConnectAttempts: 3 });
      const rec = record(client, ['error', 'reconnecting']);
      // While it waits, the snapshot names the URL the next attempt goes to.
      const next: (string | null)[] = [];
      client.on('reconnecting', () => next.push(client.getSnapshot().url));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(tried).toEqual([urls[0], urls[1], urls[0]]);
      expect(rec.of('reconnecting').map((r) => r.attempt)).toEqual([1, 2]);
      expect(next).toEqual([urls[1], urls[0]]);
      const exhausted = rec.of('error').at(-1)!;
      expect(exhausted.code).toBe('ERR_RECONNECT_EXHAUSTED');
      expect(exhausted.message).toMatch(`Gave up connecting to any of ${urls[0]}, ${urls[1]} after 3 failed attempts`);
    });

    it('starts at the next URL on connect() after giving up, and stays on its URL after disconnect()', async () => {
      const [dead, server] = [await deadUrl(), await startTestServer()];
      const { WebSocket: WS, tried } = recordingWebSocket();
      const client = makeClient({ url: [dead, server.url], WebSocket: WS, maxConnectAttempts: 1 });
      client.on('error', () => {});
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(client.url).toBe(server.url); // where the next attempt goes
      client.connect();
      await nextEvent(client, 'open');
      client.disconnect();
      client.connect();
      await nextEvent(client, 'open');
      expect(tried).toEqual([dead, server.url, server.url]);
    });
  });

  describe('#url (a function)', () => {
    it('asks it before every attempt, with the attempt, the URL before and the close code, and connects where it says', async () => {
      const [first, second] = [await startNode(64), await startNode(96)];
      const asked: UrlContext[] = [];
      const client = makeClient({
        url: async (context) => {
          asked.push(context);
          await new Promise((resolve) => setTimeout(resolve, 5)); // a discovery service's round trip
          return context.previous === first.url ? second.url : first.url;
        },
      });
      expect(client.url).toBeNull();
      const widths: number[] = [];
      client.on('frame', (f: Frame) => widths.push(f.width));
      client.connect();
      await waitUntil(() => widths.length >= 3, 'frames from the first node');
      expect(client.url).toBe(first.url);

      await stopNode(first);
      await waitUntil(() => widths.filter((w) => w === 96).length >= 3, 'frames from the second node');
      expect(client.url).toBe(second.url);
      // The first node said 1001 (going away) as it closed.
      expect(asked).toEqual([{ attempt: 0 }, { attempt: 1, previous: first.url, closeCode: 1001 }]);
    });

    it('reports a function that throws, rejects or returns no URL as ERR_HOOK_FAILED and retries as after a failed attempt', async () => {
      const server = await startTestServer();
      const answers: (() => unknown)[] = [
        () => {
          throw new Error('discovery is down');
        },
        () => Promise.reject(new Error('discovery timed out')),
        () => 'ftp://127.0.0.1/ws/',
        () => 42,
        () => Promise.resolve(server.url),
      ];
      const client = makeClient({ url: ((context: UrlContext) => answers[context.attempt]!()) as never });
      const rec = record(client, ['error', 'reconnecting', 'open']);
      const failures: unknown[] = [];
      client.subscribe(() => failures.push(client.getSnapshot().failure));
      client.connect();
      await nextEvent(client, 'open');
      expect(rec.of('error').map((e) => [e.code, e.message])).toEqual([
        ['ERR_HOOK_FAILED', '`url` threw: discovery is down'],
        ['ERR_HOOK_FAILED', '`url` rejected: discovery timed out'],
        ['ERR_HOOK_FAILED', '`url` returned `ftp://127.0.0.1/ws/`, expected a ws://, wss://, http(s):// or, in a browser, relative URL'],
        ['ERR_HOOK_FAILED', '`url` returned a number (`42`), expected a ws://, wss://, http(s):// or, in a browser, relative URL'],
      ]);
      expect((rec.of('error')[0]!.cause as Error).message).toBe('discovery is down');
      expect(rec.of('reconnecting').map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
      expect(failures).toContainEqual({ code: 'ERR_HOOK_FAILED', message: '`url` threw: discovery is down', url: '', closeCode: null });
      expect(client.getSnapshot()).toMatchObject({ status: 'connected', url: server.url, failure: null });
    });

    it('gives up with ERR_RECONNECT_EXHAUSTED after maxConnectAttempts when it never gives a URL', async () => {
      const client = makeClient({
        url: () => {
          throw new Error('no nodes');
        },
        maxConnectAttempts: 2,
      });
      const rec = record(client, ['error']);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(rec.of('error').map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED', 'ERR_RECONNECT_EXHAUSTED']);
      expect(rec.of('error')[2]!.message).toBe('Gave up connecting to the URLs `url` gives after 2 failed attempts: `url` threw: no nodes');
    });

    it('drops the answer of a function still pending at disconnect()', async () => {
      const server = await startTestServer();
      let answer!: (url: string) => void;
      const client = makeClient({ url: () => new Promise<string>((resolve) => (answer = resolve)) });
      client.connect();
      expect(client.status).toBe('connecting');
      client.disconnect();
      answer(server.url);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(client.status).toBe('disconnected');
      expect(server.handshakes).toBe(0);
    });
  });
});
