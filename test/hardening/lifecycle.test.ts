import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFrameStreamServer } from '../../src/server/index.js';
import { createHostServer } from '../support/net.js';
import {
  activeResources,
  frameCounter,
  handshakeOutcome,
  httpRequest,
  openFds,
  RawClient,
  runCleanups,
  settle,
  sleep,
  startStream,
  upgradeRequest,
  Viewer,
  waitFor,
  type Cleanups,
} from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

/** Everything a leaked connection would leave behind, counted in this process. */
function census(f: { server: import('node:http').Server; stream: { clientCount: number } }) {
  return {
    viewers: f.stream.clientCount,
    upgradeListeners: f.server.listenerCount('upgrade'),
    requestListeners: f.server.listenerCount('request'),
    timeouts: activeResources('Timeout'),
    tcp: activeResources('TCPSocketWrap'),
    fds: openFds(),
  };
}

/** Connects one `ws` viewer, waits for a frame, then leaves in one of three ways. */
async function cycle(url: string, i: number): Promise<void> {
  const ws = i % 2 ? new WebSocket(url, 'framestream.v1') : new WebSocket(url);
  ws.on('error', () => {});
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('close', () => reject(new Error(`viewer ${i} closed before its first message`)));
  });
  if (i % 3 === 0) ws.close(1000);
  else if (i % 3 === 1) ws.terminate();
  else ws.close(4000, 'app-defined');
  await closed;
}

describe('FrameStreamServer lifecycle', () => {
  it('leaks no socket, timer, listener or file descriptor over 1,000 connect/disconnect cycles', async () => {
    const f = await startStream(cleanups, { source: 'pattern', width: 16, height: 16, heartbeatInterval: 1000 });
    const drained = () => f.stream.clientCount === 0 && !f.stream.getStats().producing;
    let connections = 0;
    let disconnects = 0;
    f.stream.on('connection', () => connections++);
    f.stream.on('disconnect', () => disconnects++);
    // Warm up: first-use allocations (ws internals, sharp's threads) are not leaks.
    for (let i = 0; i < 20; i++) await cycle(f.url, i);
    await waitFor(drained, 'the warm-up viewers to be gone');
    await settle();
    const before = census(f);

    const batch = 10;
    for (let i = 0; i < 1000; i += batch) {
      await Promise.all(Array.from({ length: batch }, (_, k) => cycle(f.url, i + k)));
    }
    await waitFor(drained, 'every viewer to be gone and production to stop');
    // Closed sockets release their handles on the next turns of the loop.
    await waitFor(() => activeResources('TCPSocketWrap') <= before.tcp && openFds() <= before.fds + 4, 'sockets to be released');
    await settle();
    const after = census(f);

    expect([connections, disconnects]).toEqual([1020, 1020]);
    expect(after.viewers).toBe(0);
    expect(after.upgradeListeners).toBe(before.upgradeListeners);
    expect(after.requestListeners).toBe(before.requestListeners);
    expect(after.tcp).toBeLessThanOrEqual(before.tcp);
    expect(after.timeouts).toBeLessThanOrEqual(before.timeouts + 2);
    expect(after.fds).toBeLessThanOrEqual(before.fds + 4);
    expect(f.errors.filter((e) => e.code !== 'ERR_SOCKET')).toEqual([]);
  }, 180_000);

  it('leaves no timer, listener or socket behind after close()', async () => {
    const host = createHostServer();
    const f = await startStream(cleanups, { source: 'pattern', heartbeatInterval: 5000 }, host);
    const timersBefore = activeResources('Timeout');
    const viewers = await Promise.all([f.viewer(), f.viewer({ protocol: null }), f.viewer()]);
    await waitFor(() => viewers.every((v) => v.binary.length > 0), 'frames for every viewer');
    await f.stream.close();
    expect(await Promise.all(viewers.map((v) => v.closed))).toEqual([1001, 1001, 1001]);
    expect(host.listenerCount('upgrade')).toBe(0);
    await settle();
    expect(activeResources('Timeout')).toBeLessThanOrEqual(timersBefore);
    expect(f.stream.getStats().producing).toBe(false);
  });

  it('closes refused upgrades even when the client never closes its side', async () => {
    // A refused client that keeps its half of the connection open must not
    // keep the server's socket (and file descriptor) alive with it.
    const f = await startStream(cleanups, {
      allowedOrigins: ['https://app.example'],
      authorize: (req) => !req.url?.includes('deny'),
    });
    // A second stream on the same host, full, to be refused with 503.
    const full = createFrameStreamServer({ server: f.server, path: '/full/', snapshotPath: false, maxClients: 1 });
    full.on('error', () => {});
    cleanups.push(() => full.close());
    const occupant = new Viewer(`ws://127.0.0.1:${f.port}/full/`);
    cleanups.push(() => occupant.close());
    await occupant.opened;
    const refusals: [string, Record<string, string>][] = [
      ['/ws/test/?deny', {}], // 401
      ['/ws/test/', { Origin: 'https://evil.example' }], // 403
      ['/full/', {}], // 503
      ['/elsewhere', {}], // not ours: answered by the host app
    ];
    const clients: RawClient[] = [];
    for (let i = 0; i < 40; i++) {
      const [path, headers] = refusals[i % refusals.length]!;
      const c = new RawClient(f.port, { allowHalfOpen: true });
      cleanups.push(() => c.destroy());
      await c.connected;
      c.write(upgradeRequest(path, headers));
      await c.waitForStatus();
      clients.push(c);
    }
    expect(new Set(clients.map((c) => c.status()))).toEqual(new Set([401, 403, 503, 200]));
    const connections = () => new Promise<number>((r) => f.server.getConnections((_e, n) => r(n)));
    let open = await connections();
    const deadline = Date.now() + 20_000;
    while (open > 1 && Date.now() < deadline) {
      await sleep(20);
      open = await connections();
    }
    expect(open).toBe(1); // only the occupant
    expect(clients.every((c) => !c.ended)).toBe(true); // the clients did keep their side open
  });

  describe('#close racing with new connections', () => {
    it('settles every handshake in flight: each viewer is refused or closed, none stays open', async () => {
      let asked = 0;
      let closing: Promise<void> | undefined;
      const f = await startStream(cleanups, {
        authorize: async () => {
          // close() starts while earlier viewers are connected, some are
          // still being authorized, and later ones are on their way.
          if (++asked === 12) closing = f.stream.close();
          await sleep(Math.random() * 40);
          return true;
        },
      });
      const racers = Array.from({ length: 30 }, () => {
        const v = new Viewer(f.url);
        cleanups.push(() => v.close());
        return v;
      });
      const outcomes = await Promise.all(racers.map((v) => handshakeOutcome(v).catch(() => 'reset' as const)));
      const codes = await Promise.all(racers.map((v) => v.closed));
      await closing;
      // Accepted then closed, cut off while pending, or (arriving after
      // close) answered by the host app, whose path it now is again.
      for (const o of outcomes) expect(['open', 'reset', 200]).toContain(o);
      expect(outcomes.filter((o) => o !== 200).length).toBeGreaterThan(0); // the race did happen
      for (const [i, o] of outcomes.entries()) if (o === 'open') expect([1001, 1006]).toContain(codes[i]);
      expect(f.stream.clientCount).toBe(0);
      expect(f.server.listenerCount('upgrade')).toBe(0);
      expect((await httpRequest(f.port, '/other')).body.toString()).toBe('host');
      expect(f.errors.filter((e) => e.code !== 'ERR_SOCKET')).toEqual([]);
    });

    it('cuts off a viewer whose authorize() answers only after close()', async () => {
      let admit: ((ok: boolean) => void) | undefined;
      const f = await startStream(cleanups, { authorize: () => new Promise<boolean>((r) => (admit = r)) });
      const v = new Viewer(f.url);
      cleanups.push(() => v.close());
      await waitFor(() => admit !== undefined, 'authorize to be asked');
      await f.stream.close();
      admit!(true);
      await v.closed;
      expect(await handshakeOutcome(v).catch(() => 'reset')).not.toBe('open');
      expect(f.stream.clientCount).toBe(0);
    });
  });

  describe('when the host server closes', () => {
    it('ends its viewers with 1001 when the host closes, so the host\'s close() finishes without waiting for them', async () => {
      const f = await startStream(cleanups);
      const v = await f.viewer();
      await waitFor(() => v.binary.length > 0, 'a frame');
      const hostClosed = new Promise<void>((r) => f.server.close(() => r()));
      expect(f.server.listening).toBe(false);
      expect(await v.closed).toBe(1001);
      await hostClosed;
      await waitFor(() => f.stream.viewerCount === 0, 'the stream to forget its viewer');
      expect(f.stream.getStats().producing).toBe(false);
      // The stream is closed with its host: it removed its listeners and restored `close`.
      expect(f.server.listenerCount('upgrade')).toBe(0);
      expect(Object.prototype.hasOwnProperty.call(f.server, 'close')).toBe(false);
    });

    it('forgets viewers whose sockets the host destroys, and stops producing', async () => {
      const f = await startStream(cleanups);
      const sockets = new Set<Socket>();
      f.server.on('connection', (s: Socket) => sockets.add(s));
      const viewers = await Promise.all([f.viewer(), f.viewer(), f.viewer({ protocol: null })]);
      await waitFor(() => viewers.every((v) => v.binary.length > 0), 'frames for every viewer');
      f.server.close();
      for (const s of sockets) s.destroy();
      // The host's close starts the closing handshake; destroying the sockets cuts it short.
      for (const code of await Promise.all(viewers.map((v) => v.closed))) expect([1001, 1006]).toContain(code);
      await waitFor(() => f.stream.clientCount === 0, 'the stream to forget them');
      await waitFor(() => !f.stream.getStats().producing, 'production to stop');
    });
  });
});
