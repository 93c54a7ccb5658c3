import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type FrameStreamClientOptions, type SourceState } from '../../src/client/index.js';
import { readSourceState, SourceTracker } from '../../src/client/source.js';
import type { ServerMetrics } from '../../src/protocol/index.js';
import { TestStreamServer, type TestStreamOptions } from './support/stream-server.js';
import { nextEvent, record, waitUntil } from './support/wait.js';

// Whether an external producer feeds the stream: read from the server's
// metrics (`sourceOnline`, `sourceOfflineSince`), with the time moved onto
// the client's clock.

const base: ServerMetrics = { fps: 0, viewers: 1, skipped: 0 };

describe('readSourceState', () => {
  it('is null for a stream that does not report its source', () => {
    expect(readSourceState(base, null)).toBeNull();
    expect(readSourceState({ ...base, sourceOnline: undefined }, 5)).toBeNull();
    expect(readSourceState({ ...base, sourceOnline: Number.NaN }, 5)).toBeNull();
  });

  it('reads a connected producer as online, with no offline time', () => {
    expect(readSourceState({ ...base, sourceOnline: 1 }, 1234)).toEqual({ online: true, offlineSince: null });
  });

  it("moves the offline time from the server's clock to the client's", () => {
    // The server's clock is 10 s ahead: its 100_000 is the client's 90_000.
    expect(readSourceState({ ...base, sourceOnline: 0, sourceOfflineSince: 100_000 }, 10_000)).toEqual({
      online: false,
      offlineSince: 90_000,
    });
    expect(readSourceState({ ...base, sourceOnline: 0, sourceOfflineSince: 100_000 }, -2_500.4)).toEqual({
      online: false,
      offlineSince: 102_500,
    });
  });

  it('takes the server time as it is before the clock offset is known, and no time when none is sent', () => {
    expect(readSourceState({ ...base, sourceOnline: 0, sourceOfflineSince: 100_000 }, null)?.offlineSince).toBe(100_000);
    expect(readSourceState({ ...base, sourceOnline: 0 }, 0)).toEqual({ online: false, offlineSince: null });
  });
});

describe('SourceTracker', () => {
  it('replaces its state only when the server says something new', () => {
    const tracker = new SourceTracker();
    expect(tracker.update(base, 0)).toBe(false);
    expect(tracker.current).toBeNull();

    expect(tracker.update({ ...base, sourceOnline: 0, sourceOfflineSince: 5_000 }, 0)).toBe(true);
    const offline = tracker.current;
    expect(offline).toEqual({ online: false, offlineSince: 5_000 });
    expect(Object.isFrozen(offline)).toBe(true);

    // The same report with a better clock estimate: no change to re-render for.
    expect(tracker.update({ ...base, sourceOnline: 0, sourceOfflineSince: 5_000 }, 3)).toBe(false);
    expect(tracker.current).toBe(offline);

    expect(tracker.update({ ...base, sourceOnline: 1 }, 3)).toBe(true);
    expect(tracker.current).toEqual({ online: true, offlineSince: null });
    expect(tracker.update({ ...base, sourceOnline: 1 }, 3)).toBe(false);

    // Gone again, later: a new time.
    expect(tracker.update({ ...base, sourceOnline: 0, sourceOfflineSince: 9_000 }, 0)).toBe(true);
    expect(tracker.update({ ...base, sourceOnline: 0, sourceOfflineSince: 9_500 }, 0)).toBe(true);
    expect(tracker.current?.offlineSince).toBe(9_500);

    expect(tracker.clear()).toBe(true);
    expect(tracker.current).toBeNull();
    expect(tracker.clear()).toBe(false);
  });
});

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(server: Partial<TestStreamOptions> = {}, options: Partial<FrameStreamClientOptions> = {}) {
  const s = await TestStreamServer.start({ mode: 'framed', ...server });
  servers.push(s);
  const client = new FrameStreamClient({ url: s.url, WebSocket, initialDelayMs: 20, maxDelayMs: 100, pingInterval: 100, ...options });
  clients.push(client);
  client.connect();
  await nextEvent(client, 'status', (st) => st === 'connected');
  return { server: s, client };
}

const metrics = (server: TestStreamServer, extra: Partial<ServerMetrics>) =>
  server.sendRaw(JSON.stringify({ type: 'metrics', metrics: { ...base, ...extra } }));

describe('FrameStreamClient', () => {
  describe('#source', () => {
    it('stays null for a stream whose metrics do not mention a source', async () => {
      const { server, client } = await setup();
      const rec = record(client, ['source', 'metrics']);
      metrics(server, { fps: 30 });
      await waitUntil(() => rec.of('metrics').length === 1, 'a metrics message');
      expect(client.getSnapshot().source).toBeNull();
      expect(rec.of('source')).toEqual([]);
    });

    it("reports the producer going and coming back, with the time on the client's clock", async () => {
      // The server's clock is an hour behind: its time would read an hour
      // early unless corrected like latency is.
      const skew = -3_600_000;
      const { server, client } = await setup({ clockSkewMs: skew });
      await waitUntil(() => client.getStats().clockOffsetErrorMs !== null, 'a round trip');
      const rec = record(client, ['source']);

      const wentAway = Date.now() - 5_000;
      metrics(server, { sourceOnline: 0, sourceOfflineSince: wentAway + skew });
      const offline = (await nextEvent(client, 'source'))!;
      expect(offline.online).toBe(false);
      expect(Math.abs(offline.offlineSince! - wentAway)).toBeLessThan(250);
      expect(client.getSnapshot().source).toBe(offline);

      // Told again a second later: nothing new, the same object stays.
      metrics(server, { sourceOnline: 0, sourceOfflineSince: wentAway + skew, fps: 0.5 });
      await waitUntil(() => client.getSnapshot().metrics?.fps === 0.5, 'the next metrics message');
      expect(client.getSnapshot().source).toBe(offline);

      metrics(server, { sourceOnline: 1 });
      await waitUntil(() => client.getSnapshot().source?.online === true, 'the source online again');
      expect(client.getSnapshot().source).toEqual({ online: true, offlineSince: null });
      expect(rec.of('source')).toEqual([offline, { online: true, offlineSince: null }]);
    });

    it('forgets the source when the connection ends, and learns it again from the next one', async () => {
      const { server, client } = await setup();
      metrics(server, { sourceOnline: 0, sourceOfflineSince: Date.now() });
      await waitUntil(() => client.getSnapshot().source !== null, 'the source state');
      const events: (SourceState | null)[] = [];
      client.on('source', (s) => events.push(s));

      for (const ws of server.sockets) ws.terminate();
      await nextEvent(client, 'status', (s) => s === 'reconnecting');
      expect(client.getSnapshot().source).toBeNull();
      expect(events).toEqual([null]);

      await nextEvent(client, 'status', (s) => s === 'connected');
      metrics(server, { sourceOnline: 1 });
      await waitUntil(() => client.getSnapshot().source?.online === true, 'the source online');
      expect(events).toEqual([null, { online: true, offlineSince: null }]);
    });
  });
});
