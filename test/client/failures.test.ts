import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { CLIENT_DEFAULTS, FrameStreamClient, type FrameStreamClientOptions, type FrameStreamError } from '../../src/client/index.js';
import { freePort, TestStreamServer, type TestStreamOptions } from './support/stream-server.js';
import { browserLikeWebSocket, countingWebSocket, nextEvent, record, waitUntil } from './support/wait.js';

// Errors that explain: what a user sees when the client cannot connect, or
// is refused, and when it stops trying.

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const fakeTimers = () =>
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'], shouldClearNativeTimers: true });

async function startServer(options: Partial<TestStreamOptions> = {}) {
  const server = await TestStreamServer.start({ mode: 'framed', ...options });
  servers.push(server);
  return server;
}

function makeClient(options: FrameStreamClientOptions) {
  const client = new FrameStreamClient({ WebSocket, initialDelayMs: 10, maxDelayMs: 10, jitter: 0, ...options });
  clients.push(client);
  return client;
}

function errorsOf(client: FrameStreamClient): FrameStreamError[] {
  const errors: FrameStreamError[] = [];
  client.on('error', (e) => errors.push(e));
  return errors;
}

describe('FrameStreamClient', () => {
  describe('#error: refusals the server explains with a close code', () => {
    it.each([
      [4401, 'ERR_UNAUTHORIZED', /refused this viewer: not authorized \(close 4401: bad token\)/],
      [4403, 'ERR_FORBIDDEN_ORIGIN', /refused this page's origin \(close 4403: bad token\)/],
    ] as const)('stops at close %i with %s, naming the URL, and settles in status error', async (closeCode, code, message) => {
      const server = await startServer({ onConnection: (ws) => ws.close(closeCode, 'bad token') });
      const client = makeClient({ url: server.url });
      const errors = errorsOf(client);
      const rec = record(client, ['reconnecting', 'status']);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(errors.map((e) => e.code)).toEqual([code]);
      expect(errors[0]!.message).toContain(server.url);
      expect(errors[0]!.message).toMatch(message);
      expect(rec.of('reconnecting')).toEqual([]);
      expect(client.getSnapshot().failure).toEqual({ code, message: errors[0]!.message, url: server.url, closeCode });
      await new Promise((r) => setTimeout(r, 100)); // time for a retry at the 10 ms delay, were there one
      expect(server.connections).toBe(1);
      expect(client.status).toBe('error');
    });

    it('keeps retrying a full server (4503) with ERR_TOO_MANY_CLIENTS, and clears the failure once in', async () => {
      const server = await startServer({ onConnection: (ws, n) => n < 2 && ws.close(4503, 'full') });
      const client = makeClient({ url: server.url });
      const errors = errorsOf(client);
      const rec = record(client, ['reconnecting']);
      const failures: unknown[] = [];
      client.subscribe(() => failures.push(client.getSnapshot().failure?.code ?? null));
      client.connect();
      await nextEvent(client, 'open');
      expect(errors.map((e) => e.code)).toEqual(['ERR_TOO_MANY_CLIENTS', 'ERR_TOO_MANY_CLIENTS']);
      expect(errors[0]!.message).toBe(`The server at ${server.url} is full: too many viewers (close 4503: full)`);
      expect(rec.of('reconnecting').length).toBe(2);
      expect(failures).toContain('ERR_TOO_MANY_CLIENTS');
      expect(client.getSnapshot().failure).toBeNull();
    });

    it('retries a refusal whose code is left out of stopOnCloseCodes, and stops on one put in', async () => {
      const unauthorizedOnce = await startServer({ onConnection: (ws, n) => n === 0 && ws.close(4401) });
      const retrying = makeClient({ url: unauthorizedOnce.url, stopOnCloseCodes: [] });
      retrying.connect();
      await nextEvent(retrying, 'open');
      expect(unauthorizedOnce.connections).toBe(2);

      const full = await startServer({ onConnection: (ws) => ws.close(4503) });
      const stopping = makeClient({ url: full.url, stopOnCloseCodes: [4503] });
      const errors = errorsOf(stopping);
      stopping.connect();
      await nextEvent(stopping, 'status', (s) => s === 'error');
      expect(errors.map((e) => e.code)).toEqual(['ERR_TOO_MANY_CLIENTS']);
      expect(full.connections).toBe(1);
    });
  });

  describe('#error: a URL that cannot be reached', () => {
    it('names the URL and says it could not be reached, for a port where nothing listens', async () => {
      const url = `ws://127.0.0.1:${await freePort()}/ws/test/`;
      const client = makeClient({ url, reconnect: false });
      const errors = errorsOf(client);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(errors.map((e) => e.code)).toEqual(['ERR_UNREACHABLE']);
      expect(errors[0]!.message).toMatch(
        new RegExp(`^Could not connect to ${url}: nothing answered there, or the server refused the WebSocket \\(check the host, port and path\\)`),
      );
      expect(client.getSnapshot().failure).toMatchObject({ code: 'ERR_UNREACHABLE', url, closeCode: 1006 });
    });

    it('says the same for a wrong path on a live server (404), in a browser that reports no detail', async () => {
      const server = await startServer({ refuse: (_, req) => (req.url === '/ws/test/' ? false : 404) });
      const url = server.url.replace('/ws/test/', '/ws/tset/');
      const client = makeClient({ url, WebSocket: browserLikeWebSocket(WebSocket), reconnect: false });
      const errors = errorsOf(client);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(errors.map((e) => e.code)).toEqual(['ERR_UNREACHABLE']);
      expect(errors[0]!.message).toBe(
        `Could not connect to ${url}: nothing answered there, or the server refused the WebSocket (check the host, port and path)`,
      );
    });

    it(`gives up after maxConnectAttempts (default ${CLIENT_DEFAULTS.maxConnectAttempts}) when it never connected, in status error`, async () => {
      fakeTimers();
      const url = `ws://127.0.0.1:${await freePort()}/ws/test/`;
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = makeClient({ url, WebSocket: WS, initialDelayMs: 100, maxDelayMs: 100 });
      const errors = errorsOf(client);
      client.connect();
      for (let attempt = 1; attempt < CLIENT_DEFAULTS.maxConnectAttempts; attempt++) {
        await nextEvent(client, 'reconnecting', (r) => r.attempt === attempt);
        vi.advanceTimersByTime(100);
      }
      await nextEvent(client, 'status', (s) => s === 'error');
      vi.advanceTimersByTime(600_000);
      expect(counter.constructed).toBe(CLIENT_DEFAULTS.maxConnectAttempts);
      expect(errors.at(-1)?.code).toBe('ERR_RECONNECT_EXHAUSTED');
      expect(errors.at(-1)?.message).toMatch(new RegExp(`^Gave up connecting to ${url} after 6 failed attempts: Could not connect to ${url}`));
      // The snapshot keeps the cause, for a UI's failed state.
      expect(client.getSnapshot()).toMatchObject({ status: 'error', failure: { code: 'ERR_UNREACHABLE', url } });
    });

    it('tries again on connect() from status error, and connects once the server is there', async () => {
      const port = await freePort();
      const client = makeClient({ url: `ws://127.0.0.1:${port}/ws/test/`, maxConnectAttempts: 2 });
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      servers.push(await TestStreamServer.start({ mode: 'framed', port }));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      expect(client.getSnapshot().failure).toBeNull();
    });

    it('keeps retrying per the policy after a drop once it had connected', async () => {
      const server = await startServer();
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = makeClient({ url: server.url, WebSocket: WS, maxConnectAttempts: 2 });
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      fakeTimers();
      await server.close();
      servers.splice(0);
      for (let attempt = 1; attempt <= 5; attempt++) {
        await nextEvent(client, 'reconnecting', (r) => r.attempt === attempt);
        vi.advanceTimersByTime(10);
      }
      expect(counter.constructed).toBeGreaterThanOrEqual(6);
      expect(client.status).toBe('reconnecting');
      expect(client.getSnapshot().failure?.code).toBe('ERR_UNREACHABLE');
    });

    it('stops once maxRetryTimeMs has passed without a connection', async () => {
      const url = `ws://127.0.0.1:${await freePort()}/ws/test/`;
      const client = makeClient({ url, initialDelayMs: 20, maxDelayMs: 20, maxConnectAttempts: Infinity, maxRetryTimeMs: 200 });
      const errors = errorsOf(client);
      const started = Date.now();
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(Date.now() - started).toBeGreaterThanOrEqual(180);
      expect(errors.at(-1)?.code).toBe('ERR_RECONNECT_EXHAUSTED');
      expect(errors.at(-1)?.message).toMatch(/`maxRetryTimeMs` is 200/);
      await waitUntil(() => client.status === 'error', 'the client to stay in error');
    });
  });

  describe('#options', () => {
    it('rejects an unknown option naming it and the closest known one', () => {
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, reconectDelay: 1 } as never)).toThrow(
        new TypeError('Unknown FrameStreamClient option `reconectDelay`; did you mean `reconnectPolicy`?'),
      );
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, maxfps: 10 } as never)).toThrow(/`maxfps`; did you mean `maxFps`\?/);
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, zzzzzzzz: 1 } as never)).toThrow(new TypeError('Unknown FrameStreamClient option `zzzzzzzz`'));
    });

    it('checks the retry limits at once', () => {
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, stopOnCloseCodes: 4401 as never })).toThrow(TypeError);
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, stopOnCloseCodes: [99] })).toThrow(/`stopOnCloseCodes`.*`99`/);
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, maxConnectAttempts: 0 })).toThrow(/`maxConnectAttempts`/);
      expect(() => new FrameStreamClient({ url: 'ws://x/', WebSocket, maxRetryTimeMs: -1 })).toThrow(/`maxRetryTimeMs`/);
      expect(CLIENT_DEFAULTS.stopOnCloseCodes).toEqual([4401, 4403, 4001, 4408]);
    });
  });
});
