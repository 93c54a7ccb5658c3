import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient } from '../../src/client/index.js';
import type { FrameStreamError } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { runCleanups, sleep, waitFor, type Cleanups } from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

const CLIENTS = 100;
const DOWNTIME_MS = 500;

/** A host with a small, cheap stream, on `port` (0 for any). */
async function startHost(port: number): Promise<{ host: Server; stream: FrameStreamServer; port: number }> {
  const host = createHostServer();
  const stream = createFrameStreamServer({ server: host, source: 'pattern', width: 16, height: 16, fps: 10 });
  stream.on('error', () => {}); // viewers dropping during the restart are expected
  cleanups.push(() => closeServer(host), () => stream.close());
  if (port === 0) return { host, stream, port: await listen(host) };
  await new Promise<void>((resolve, reject) => {
    host.once('error', reject);
    host.listen(port, '127.0.0.1', () => resolve());
  });
  return { host, stream, port };
}

interface Trace {
  firstDelayMs?: number;
  attempts: number;
  reconnectedAt?: number;
  errors: FrameStreamError[];
  statuses: string[];
}

describe('FrameStreamClient', () => {
  describe('#reconnect after a server restart', () => {
    it('brings all 100 viewers back, spread out by jitter, and none gives up within its policy', async () => {
      const first = await startHost(0);
      const records: Trace[] = [];
      const clients = Array.from({ length: CLIENTS }, (_, i) => {
        const client = new FrameStreamClient({
          url: `ws://127.0.0.1:${first.port}/ws/test/`,
          WebSocket: WebSocket as never,
          maxAttempts: 12,
        });
        const r: Trace = { attempts: 0, errors: [], statuses: [] };
        records[i] = r;
        client.on('error', (e) => r.errors.push(e));
        client.on('status', (s) => r.statuses.push(s));
        cleanups.push(() => client.destroy());
        client.connect();
        return client;
      });
      await waitFor(() => clients.every((c) => c.status === 'connected'), 'all clients to connect', 60_000);
      await waitFor(() => first.stream.clientCount === CLIENTS, 'the server to count them all');

      // Listen only from here on: the initial connection is not a reconnect.
      let restartedAt = 0;
      clients.forEach((client, i) => {
        const r = records[i]!;
        client.on('reconnecting', ({ attempt, delayMs }) => {
          r.attempts = attempt;
          r.firstDelayMs ??= delayMs;
        });
        client.on('open', () => {
          if (restartedAt && r.reconnectedAt === undefined) r.reconnectedAt = performance.now() - restartedAt;
        });
      });
      const down = performance.now();
      await first.stream.close(); // every viewer sees 1001 Going Away
      await closeServer(first.host);
      await sleep(DOWNTIME_MS);
      await startHost(first.port);
      restartedAt = performance.now();
      const downtime = restartedAt - down;

      await waitFor(() => records.every((r) => r.reconnectedAt !== undefined), 'every client to reconnect', 90_000);
      const firstDelays = records.map((r) => r.firstDelayMs!);
      const back = records.map((r) => r.reconnectedAt!);
      const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);

      // Jitter: the first retry delays are spread over a range, not one value.
      expect(new Set(firstDelays).size).toBeGreaterThan(CLIENTS / 2);
      expect(spread(firstDelays)).toBeGreaterThan(100);
      // ...and so are the reconnections themselves: not one burst.
      expect(spread(back)).toBeGreaterThan(100);
      // Nobody gave up or was told to.
      expect(clients.every((c) => c.status === 'connected')).toBe(true);
      expect(records.flatMap((r) => r.errors.map((e) => e.code))).not.toContain('ERR_RECONNECT_EXHAUSTED');
      expect(records.every((r) => !r.statuses.includes('error'))).toBe(true);
      expect(Math.max(...records.map((r) => r.attempts))).toBeLessThan(12);

      if (process.env.FRAMESTREAM_REPORT) {
        const sorted = [...back].sort((a, b) => a - b);
        const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
        console.log(
          `restart: downtime ${Math.round(downtime)} ms; first retry delays ${Math.round(Math.min(...firstDelays))}-${Math.round(Math.max(...firstDelays))} ms ` +
            `(${new Set(firstDelays).size} distinct); back after restart: min ${pct(0)} p50 ${pct(50)} p90 ${pct(90)} max ${pct(100)} ms ` +
            `(spread ${Math.round(spread(back))} ms); most attempts ${Math.max(...records.map((r) => r.attempts))}`,
        );
      }
    }, 180_000);
  });
});
