import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type FrameStreamError } from '../../src/client/index.js';
import { freePort, TestStreamServer } from './support/stream-server.js';
import { nextEvent, record, waitUntil } from './support/wait.js';

// Calls at awkward moments: while a socket is still connecting, from inside
// the client's own events, and from a throwing subscriber.

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup() {
  const server = await TestStreamServer.start({ mode: 'framed' });
  servers.push(server);
  const client = new FrameStreamClient({ url: server.url, WebSocket, initialDelayMs: 20 });
  clients.push(client);
  return { server, client };
}

describe('FrameStreamClient', () => {
  describe('#disconnect', () => {
    it('can be called while the socket is still connecting', async () => {
      const { server, client } = await setup();
      const rec = record(client, ['status', 'error', 'close']);
      client.connect();
      client.disconnect();
      expect(client.status).toBe('disconnected');
      // The aborted handshake must not surface as an error or a second close.
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      expect(rec.of('error')).toEqual([]);
      expect(rec.of('close')).toEqual([{ code: 1000, reason: 'client disconnect' }]);
      await waitUntil(() => server.sockets.size === 1, 'one socket at the server');
    });

    it('can be called from a close listener while a retry would follow', async () => {
      const { server, client } = await setup();
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      client.once('close', () => client.disconnect());
      const rec = record(client, ['reconnecting']);
      for (const ws of server.sockets) ws.terminate();
      await nextEvent(client, 'status', (s) => s === 'disconnected');
      expect(rec.log).toEqual([]);
    });
  });

  describe('#connect', () => {
    it('is a no-op while waiting to reconnect', async () => {
      const port = await freePort();
      const client = new FrameStreamClient({ url: `ws://127.0.0.1:${port}/`, WebSocket, initialDelayMs: 60_000, maxDelayMs: 60_000 });
      clients.push(client);
      client.connect();
      const first = await nextEvent(client, 'reconnecting');
      const rec = record(client, ['status', 'reconnecting']);
      client.connect();
      expect(client.status).toBe('reconnecting');
      expect(client.getStats().reconnectAttempt).toBe(first.attempt);
      expect(rec.log).toEqual([]);
    });

    it('reports a failed connection attempt as ERR_UNREACHABLE followed by close 1006', async () => {
      const port = await freePort();
      const client = new FrameStreamClient({ url: `ws://127.0.0.1:${port}/`, WebSocket, reconnect: false });
      clients.push(client);
      const rec = record(client, ['error', 'close', 'status']);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'error');
      expect(rec.log.map((e) => e.event)).toEqual(['status', 'error', 'close', 'status']);
      expect((rec.of('error')[0] as FrameStreamError).code).toBe('ERR_UNREACHABLE');
      expect((rec.of('error')[0] as FrameStreamError).message).toContain('ECONNREFUSED');
      expect(rec.of('close')[0]?.code).toBe(1006);
    });
  });

  describe('#subscribe', () => {
    it('keeps notifying other subscribers when one throws, reporting ERR_HOOK_FAILED', async () => {
      const { client } = await setup();
      const errors: FrameStreamError[] = [];
      client.on('error', (e) => errors.push(e));
      client.subscribe(() => {
        throw new Error('render bug');
      });
      const seen: string[] = [];
      client.subscribe(() => seen.push(client.getSnapshot().status));
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      expect(seen).toEqual(['connecting', 'connected']);
      expect(errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED']);
      expect(errors[0]!.message).toContain('render bug');
    });

    it('stops notifying after unsubscribe and after destroy', async () => {
      const { client } = await setup();
      let a = 0;
      let b = 0;
      const off = client.subscribe(() => a++);
      client.subscribe(() => b++);
      off();
      client.connect();
      expect(a).toBe(0);
      expect(b).toBe(1);
      client.destroy();
      expect(b).toBe(2); // the disconnect inside destroy()
      expect(client.getSnapshot().status).toBe('disconnected');
    });
  });

  describe('#idleTimeout', () => {
    it('drops a framed connection on which nothing arrives, not even pongs, and reconnects', async () => {
      const server = await TestStreamServer.start({ mode: 'framed', pong: false });
      servers.push(server);
      const client = new FrameStreamClient({ url: server.url, WebSocket, pingInterval: 50, idleTimeoutMs: 300, initialDelayMs: 20 });
      clients.push(client);
      const rec = record(client, ['error', 'close']);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      const info = await nextEvent(client, 'reconnecting');
      expect(info.attempt).toBe(1);
      expect((rec.of('error') as FrameStreamError[]).map((e) => e.code)).toEqual(['ERR_HEARTBEAT_TIMEOUT']);
      expect(rec.of('close')).toEqual([{ code: 1006, reason: 'idle timeout' }]);
      await nextEvent(client, 'status', (s) => s === 'connected');
      await waitUntil(() => server.connections === 2, 'the second connection at the server');
    });

    it('keeps a quiet connection whose server answers pings', async () => {
      const server = await TestStreamServer.start({ mode: 'framed' });
      servers.push(server);
      const client = new FrameStreamClient({ url: server.url, WebSocket, pingInterval: 50, idleTimeoutMs: 150 });
      clients.push(client);
      const rec = record(client, ['error', 'close']);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      // Twenty ping intervals without a single frame, far past the 150 ms.
      await waitUntil(() => server.received.filter((m) => m.type === 'ping').length >= 20, 'twenty pings');
      expect(client.status).toBe('connected');
      expect(rec.log).toEqual([]);
    });

    it('never times out a bare server, which sends nothing between frames', async () => {
      const server = await TestStreamServer.start({ mode: 'bare' });
      servers.push(server);
      // Fake timers from the start, so every timer the client makes is advanced below.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const client = new FrameStreamClient({ url: server.url, WebSocket, mode: 'bare', pingInterval: 10, idleTimeoutMs: 20 });
      clients.push(client);
      client.connect();
      await nextEvent(client, 'status', (s) => s === 'connected');
      const rec = record(client, ['error', 'close']);
      vi.advanceTimersByTime(600_000);
      server.broadcast();
      await nextEvent(client, 'frame');
      expect(client.status).toBe('connected');
      expect(rec.log).toEqual([]);
      expect(server.connections).toBe(1);
    });
  });
});
