import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createBackoffPolicy, FrameStreamClient, type FrameStreamError, type ReconnectContext } from '../../src/client/index.js';
import { freePort, TestStreamServer } from './support/stream-server.js';
import { countingWebSocket, nextEvent, record, waitUntil } from './support/wait.js';

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function track<T extends FrameStreamClient>(client: T): T {
  clients.push(client);
  return client;
}

// Only the timer functions: sockets, Date and performance stay real.
// Timers the client created before faking began are still cleared for real.
const fakeTimers = () =>
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'], shouldClearNativeTimers: true });

describe('createBackoffPolicy', () => {
  const ctx = (attempt: number): ReconnectContext => ({ attempt, closeCode: 1006, elapsedMs: 0 });

  it('grows each delay by the growth factor up to the maximum', () => {
    const policy = createBackoffPolicy({ initialDelayMs: 100, growthFactor: 2, maxDelayMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => policy(ctx(n)))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('caps even the first delay at maxDelayMs', () => {
    expect(createBackoffPolicy({ initialDelayMs: 60_000, jitter: 0 })(ctx(1))).toBe(10_000);
  });

  it('uses the documented defaults', () => {
    const policy = createBackoffPolicy({ random: () => 0 });
    expect([1, 2, 3].map((n) => policy(ctx(n)))).toEqual([500, 800, 1280]);
    expect(policy(ctx(100))).toBe(10_000);
    expect(policy(ctx(1e6))).toBe(10_000); // never gives up by default
  });

  it('shortens each delay by at most the jitter fraction', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r, jitter) => {
          const base = Math.min(10_000, 500 * 1.6 ** (attempt - 1));
          const delay = createBackoffPolicy({ jitter, random: () => r })(ctx(attempt))!;
          return delay <= Math.round(base) && delay >= Math.round(base * (1 - jitter)) - 1;
        },
      ),
    );
  });

  it('spreads clients out: different random draws give different delays', () => {
    const a = createBackoffPolicy({ random: () => 0.1 })(ctx(3));
    const b = createBackoffPolicy({ random: () => 0.9 })(ctx(3));
    expect(a).not.toBe(b);
  });

  it('returns null once maxAttempts retries have been made', () => {
    const policy = createBackoffPolicy({ maxAttempts: 3, jitter: 0 });
    expect([1, 2, 3, 4, 5].map((n) => policy(ctx(n)))).toEqual([500, 800, 1280, null, null]);
    expect(createBackoffPolicy({ maxAttempts: 0 })(ctx(1))).toBeNull();
  });

  it('throws naming the option and showing the value on a bad option', () => {
    expect(() => createBackoffPolicy({ growthFactor: 0.5 })).toThrow(new RangeError('Expected `growthFactor` to be a finite number >= 1, got `0.5`'));
    expect(() => createBackoffPolicy({ initialDelayMs: -1 })).toThrow(/`initialDelayMs`.*`-1`/);
    expect(() => createBackoffPolicy({ maxDelayMs: Infinity })).toThrow(/`maxDelayMs`.*`Infinity`/);
    expect(() => createBackoffPolicy({ maxAttempts: 1.5 })).toThrow(/`maxAttempts`.*`1.5`/);
    expect(() => createBackoffPolicy({ jitter: 2 })).toThrow(/`jitter`.*`2`/);
    expect(() => createBackoffPolicy({ jitter: 'x' as never })).toThrow(TypeError);
  });
});

describe('FrameStreamClient', () => {
  describe('#reconnect', () => {
    it('backs off after an abnormal close, waiting exactly the delay the policy chose', async () => {
      fakeTimers();
      const port = await freePort();
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = track(
        new FrameStreamClient({
          url: `ws://127.0.0.1:${port}/`,
          WebSocket: WS,
          initialDelayMs: 1000,
          growthFactor: 2,
          jitter: 0.5,
          random: () => 0.5,
        }),
      );
      client.connect();
      expect(counter.constructed).toBe(1);
      for (const [attempt, delayMs] of [[1, 750], [2, 1500], [3, 3000]] as const) {
        const info = await nextEvent(client, 'reconnecting');
        expect(info).toEqual({ attempt, delayMs });
        expect(client.status).toBe('reconnecting');
        vi.advanceTimersByTime(delayMs - 1);
        expect(counter.constructed).toBe(attempt);
        vi.advanceTimersByTime(1);
        expect(counter.constructed).toBe(attempt + 1);
      }
    });

    it('gives up after maxAttempts with status error and ERR_RECONNECT_EXHAUSTED', async () => {
      fakeTimers();
      const port = await freePort();
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = track(new FrameStreamClient({ url: `ws://127.0.0.1:${port}/`, WebSocket: WS, maxAttempts: 2, initialDelayMs: 100 }));
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      client.connect();
      await nextEvent(client, 'reconnecting', (r) => r.attempt === 1);
      vi.advanceTimersByTime(100);
      await nextEvent(client, 'reconnecting', (r) => r.attempt === 2);
      vi.advanceTimersByTime(1000);
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(errors.at(-1)?.code).toBe('ERR_RECONNECT_EXHAUSTED');
      vi.advanceTimersByTime(600_000);
      expect(counter.constructed).toBe(3); // the first try and two retries
      expect(client.status).toBe('error');
    });

    it('starts afresh on connect() after giving up', async () => {
      const port = await freePort();
      const client = track(new FrameStreamClient({ url: `ws://127.0.0.1:${port}/ws/test/`, WebSocket, maxAttempts: 0 }));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      const server = await TestStreamServer.start({ mode: 'framed', port });
      servers.push(server);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      expect(client.getStats().reconnectAttempt).toBe(0);
    });

    it('does not reconnect after the server closes with code 1000', async () => {
      const server = await TestStreamServer.start({ mode: 'framed' });
      servers.push(server);
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = track(new FrameStreamClient({ url: server.url, WebSocket: WS }));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      fakeTimers();
      for (const ws of server.sockets) ws.close(1000);
      await nextEvent(client, 'close');
      vi.advanceTimersByTime(600_000);
      expect(counter.constructed).toBe(1);
      expect(client.status).toBe('disconnected');
    });

    it('does not reconnect after disconnect(), even with a retry pending', async () => {
      fakeTimers();
      const port = await freePort();
      const { WebSocket: WS, counter } = countingWebSocket(WebSocket);
      const client = track(new FrameStreamClient({ url: `ws://127.0.0.1:${port}/`, WebSocket: WS }));
      client.connect();
      await nextEvent(client, 'reconnecting');
      client.disconnect();
      expect(client.status).toBe('disconnected');
      vi.advanceTimersByTime(600_000);
      expect(counter.constructed).toBe(1);
    });

    it('does not hammer a server that accepts and drops at once: attempts keep growing', async () => {
      const server = await TestStreamServer.start({
        mode: 'framed',
        // Accept, say hello, then drop abnormally: each connection is briefly usable.
        onConnection: (ws) => setTimeout(() => ws.terminate(), 20),
      });
      servers.push(server);
      const client = track(
        new FrameStreamClient({ url: server.url, WebSocket, initialDelayMs: 20, growthFactor: 2, jitter: 0, stableAfterMs: 10_000 }),
      );
      const rec = record(client, ['reconnecting', 'status']);
      client.connect();
      await waitUntil(() => rec.of('reconnecting').length >= 5, 'five reconnect attempts');
      client.disconnect();
      expect(rec.of('reconnecting').slice(0, 5)).toEqual([
        { attempt: 1, delayMs: 20 },
        { attempt: 2, delayMs: 40 },
        { attempt: 3, delayMs: 80 },
        { attempt: 4, delayMs: 160 },
        { attempt: 5, delayMs: 320 },
      ]);
      // Each of those connections did come up before it dropped.
      expect(rec.of('status').filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(4);
    });

    it('resets the attempt counter once a connection has stayed up for stableAfterMs', async () => {
      const server = await TestStreamServer.start({
        mode: 'framed',
        onConnection: (ws, index) => index < 2 && ws.terminate(),
      });
      servers.push(server);
      const client = track(new FrameStreamClient({ url: server.url, WebSocket, initialDelayMs: 10, jitter: 0, stableAfterMs: 300 }));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      expect(client.getStats().reconnectAttempt).toBe(2);
      await waitUntil(() => client.getStats().reconnectAttempt === 0, 'the attempt counter to reset');
      expect(client.getSnapshot().stats.reconnectAttempt).toBe(0);
      for (const ws of server.sockets) ws.terminate();
      expect(await nextEvent(client, 'reconnecting')).toEqual({ attempt: 1, delayMs: 10 });
    });

    it('asks a custom policy with the attempt, close code and elapsed time, and stops on null', async () => {
      const server = await TestStreamServer.start({ mode: 'framed', onConnection: (ws) => ws.close(4002, 'go away') });
      servers.push(server);
      const contexts: ReconnectContext[] = [];
      const client = track(
        new FrameStreamClient({
          url: server.url,
          WebSocket,
          reconnectPolicy: (ctx) => {
            contexts.push(ctx);
            return ctx.attempt < 3 ? 5 : null;
          },
        }),
      );
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(contexts.map((c) => [c.attempt, c.closeCode])).toEqual([[1, 4002], [2, 4002], [3, 4002]]);
      expect(contexts[0]!.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(contexts[2]!.elapsedMs).toBeGreaterThanOrEqual(contexts[0]!.elapsedMs);
      expect(errors.map((e) => e.code)).toEqual(['ERR_RECONNECT_EXHAUSTED']);
      expect(server.connections).toBe(3);
    });

    it('ends in status error instead of reconnecting when reconnect is false', async () => {
      const server = await TestStreamServer.start({ mode: 'framed', onConnection: (ws) => ws.terminate() });
      servers.push(server);
      const client = track(new FrameStreamClient({ url: server.url, WebSocket, reconnect: false }));
      const rec = record(client, ['reconnecting']);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(rec.log).toEqual([]);
      expect(server.connections).toBe(1);
    });
  });
});
