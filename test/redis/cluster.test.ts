// Three framestream node processes joined through a Redis of the test's own,
// and a producer process feeding one of them: what users deploy behind a
// load balancer, on real sockets.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient } from '../../src/client/index.js';
import { decodeFrameMessage, SUBPROTOCOL } from '../../src/protocol/index.js';
import { solidJpeg, waitFor } from '../server/helpers.js';
import { startRedis, type RedisProcess } from './support/redis.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

interface NodeProcess {
  child: ChildProcess;
  port: number;
  path: string;
  ingestPath: string;
  ask<T>(what: string): Promise<T>;
}

interface NodeStats {
  stats: { viewers: number; framesProduced: number; cluster: { viewers: number; nodes: unknown[]; connected: boolean } };
  heapUsed: number;
  hubConnected: boolean;
  errors: string[];
}

const children: ChildProcess[] = [];

function start(script: string, env: Record<string, string>): ChildProcess {
  const child = fork(here(script), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}

async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const child = start('./support/cluster-node.ts', env);
  let asked = 0;
  const ready = await new Promise<{ port: number; path: string; ingestPath: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
    child.on('message', (m: { ready?: boolean; port: number; path: string; ingestPath: string }) => m.ready && resolve(m));
  });
  return {
    child,
    ...ready,
    ask: <T,>(what: string) =>
      new Promise<T>((resolve) => {
        const id = ++asked;
        const onMessage = (m: { id?: number }) => {
          if (m.id !== id) return;
          child.off('message', onMessage);
          resolve(m as T);
        };
        child.on('message', onMessage);
        child.send({ id, ask: what });
      }),
  };
}

/** A framestream.v1 viewer that keeps counts, not frames. */
class CountingViewer {
  readonly ws: WebSocket;
  frames = 0;
  lastCapture = 0;
  lastSeq = 0;
  backwards = 0;
  readonly opened: Promise<void>;
  constructor(url: string) {
    this.ws = new WebSocket(url, SUBPROTOCOL);
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, binary) => {
      if (!binary) return;
      const { meta } = decodeFrameMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      // Never an older frame after a newer one.
      if (meta.captureTime < this.lastCapture) this.backwards++;
      this.lastCapture = meta.captureTime;
      this.lastSeq = meta.seq;
      this.frames++;
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  close(): void {
    this.ws.terminate();
  }
}

let redis: RedisProcess;
let nodes: NodeProcess[];
let producer: ChildProcess;
const viewers: CountingViewer[][] = [];

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, PREFIX: `cluster${process.pid}` };
  nodes = await Promise.all([startNode(env), startNode(env), startNode(env)]);
  for (const n of nodes) {
    const two = [new CountingViewer(`ws://127.0.0.1:${n.port}${n.path}`), new CountingViewer(`ws://127.0.0.1:${n.port}${n.path}`)];
    await Promise.all(two.map((v) => v.opened));
    viewers.push(two);
  }
  const jpeg = await solidJpeg(64, 64, [30, 140, 220]);
  producer = start('./support/cluster-producer.ts', {
    INGEST_URL: `ws://127.0.0.1:${nodes[0]!.port}${nodes[0]!.ingestPath}`,
    JPEG_BASE64: jpeg.toString('base64'),
  });
}, 60_000);

afterAll(async () => {
  for (const v of viewers.flat()) v.close();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis?.stop();
});

const total = (list: CountingViewer[]) => list.reduce((sum, v) => sum + v.frames, 0);

describe('a cluster of three nodes on Redis', () => {
  it('shows every viewer on every node the producer\'s frames, never an older one after a newer one', async () => {
    await waitFor(() => viewers.flat().every((v) => v.frames >= 20), 'frames on every viewer of every node', 30_000);
    expect(viewers.flat().map((v) => v.backwards)).toEqual([0, 0, 0, 0, 0, 0]);
    const stats = async () => Promise.all(nodes.map((n) => n.ask<NodeStats>('stats')));
    // Encoded and published once, on the node the producer feeds.
    expect((await stats()).map((s) => s.stats.framesProduced > 0)).toEqual([true, false, false]);
    // Every node counts the whole cluster (nodes announce themselves every second).
    await expect.poll(async () => (await stats()).map((s) => s.stats.cluster.viewers), { timeout: 5000 }).toEqual([6, 6, 6]);
  });

  it('carries 10,000 frames with no growth in any node\'s memory', async () => {
    const burst = (count: number) =>
      new Promise<void>((resolve) => {
        const onMessage = (m: { burstDone?: boolean }) => {
          if (!m.burstDone) return;
          producer.off('message', onMessage);
          resolve();
        };
        producer.on('message', onMessage);
        producer.send({ ask: 'burst', count });
      });
    const quiet = () => new Promise((r) => setTimeout(r, 1500)); // in-flight frames land
    // Bursts as fast as the ingest's credits allow: 2,000 to warm every
    // node up, then the baseline, then 10,000 more.
    await burst(2000);
    await quiet();
    const before = await Promise.all(nodes.map((n) => n.ask<NodeStats>('stats')));
    await burst(10_000);
    const after = async () => Promise.all(nodes.map((n) => n.ask<NodeStats>('stats')));
    expect((await after())[0]!.stats.framesProduced - before[0]!.stats.framesProduced).toBeGreaterThanOrEqual(10_000);
    // Heaps after a full GC, once what was on its way to slow sockets has
    // landed: a queue of 10,000 frames would hold ~3 MB of JPEGs, and their
    // messages and promises besides, and would never go.
    const growth = async () => (await after()).map((s, i) => s.heapUsed - before[i]!.heapUsed);
    await expect.poll(async () => Math.max(...(await growth())), { timeout: 15_000, interval: 500 }).toBeLessThan(1024 * 1024);
    expect(viewers.flat().map((v) => v.backwards)).toEqual([0, 0, 0, 0, 0, 0]);
  }, 120_000);

  it('resumes the stream on every node after Redis restarts', async () => {
    await redis.restart();
    const stats = async () => Promise.all(nodes.map((n) => n.ask<NodeStats>('stats')));
    await expect.poll(async () => (await stats()).every((s) => s.hubConnected), { timeout: 15_000 }).toBe(true);
    const seen = viewers.map(total);
    await waitFor(() => viewers.every((list, i) => total(list) > seen[i]! + 20), 'frames on every node after the restart', 20_000);
    // The outage was reported once per node, not once per frame or retry.
    for (const s of await stats()) expect(s.errors.filter((e) => e === 'ERR_HUB_UNAVAILABLE')).toHaveLength(1);
  });

  it('moves a dead node\'s viewers to another node, where the stream goes on', async () => {
    const urlOf = (n: NodeProcess) => `ws://127.0.0.1:${n.port}${n.path}`;
    const client = new FrameStreamClient({ url: [urlOf(nodes[1]!), urlOf(nodes[2]!)], WebSocket, autoConnect: true, initialDelayMs: 50, maxDelayMs: 200 });
    client.on('error', () => {});
    const opened: string[] = [];
    let frames = 0;
    client.on('open', ({ url }) => opened.push(url));
    client.on('frame', () => frames++);
    try {
      await waitFor(() => frames >= 10, 'frames from the first node');
      expect(opened).toEqual([urlOf(nodes[1]!)]);
      nodes[1]!.child.kill('SIGKILL');
      await waitFor(() => opened.length === 2, 'a connection to another node', 15_000);
      expect(opened[1]).toBe(urlOf(nodes[2]!));
      const moved = frames;
      await waitFor(() => frames > moved + 10, 'frames on the other node', 15_000);
    } finally {
      client.destroy();
    }
  });
});
