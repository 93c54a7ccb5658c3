import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { FrameProducer } from '../../src/producer/index.js';
import { encodeInputFrame } from '../../src/protocol/index.js';
import { createFrameStreamServer, SUBPROTOCOL, type FrameStreamServer } from '../../src/server/index.js';
import { redisHub } from '../../src/redis/index.js';
import type { RedisHub } from '../../src/redis/hub.js';
import { HubChannel } from '../../src/server/cluster/hub-channel.js';
import { describeFrameChannel } from '../server/support/channel-contract.js';
import { openViewer, solidJpeg, waitFor, type TestViewer } from '../server/helpers.js';
import { closeServer, listen } from '../support/net.js';
import { startRedis, type RedisProcess } from './support/redis.js';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hub(prefix: string): RedisHub {
  const h = redisHub({ url: redis.url, prefix });
  cleanups.push(() => h.close());
  return h;
}

async function connected(h: RedisHub): Promise<RedisHub> {
  await waitFor(() => h.connected, 'the hub to connect', 10_000);
  return h;
}

interface Node {
  http: Server;
  stream: FrameStreamServer;
  port: number;
  errors: Error[];
  url: string;
}

async function node(h: RedisHub, options: Record<string, unknown> = {}): Promise<Node> {
  const http = createServer();
  const stream = createFrameStreamServer({ server: http, hub: h, width: 32, height: 32, ...options });
  const errors: Error[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(http);
  cleanups.push(async () => {
    await stream.close();
    await closeServer(http);
  });
  return { http, stream, port, errors, url: `ws://127.0.0.1:${port}${stream.path}` };
}

async function viewer(n: Node): Promise<TestViewer> {
  const v = await openViewer(n.url, SUBPROTOCOL);
  cleanups.push(() => v.close());
  return v;
}

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(24, 16, [220, 20, 20]), solidJpeg(24, 16, [20, 20, 220])]);
});

let prefixes = 0;
const freshPrefix = () => `t${process.pid}x${prefixes++}`;

describeFrameChannel(
  'HubChannel on Redis',
  async () => {
    const prefix = freshPrefix();
    const a = await connected(redisHub({ url: redis.url, prefix }));
    const b = await connected(redisHub({ url: redis.url, prefix }));
    const publisher = new HubChannel({ hub: a, name: 's', malformed: () => {} });
    const subscriber = new HubChannel({ hub: b, name: 's', malformed: () => {} });
    return {
      publisher,
      subscriber,
      close: async () => {
        publisher.close();
        subscriber.close();
        await a.close();
        await b.close();
      },
    };
  },
  async () => void (await sleep(150)),
);

describe('redisHub', () => {
  it('names a bad option', () => {
    expect(() => redisHub({ url: 'http://x' })).toThrow(/`url`/);
    expect(() => redisHub({ prefix: 'a b' })).toThrow(/`prefix`/);
    expect(() => redisHub({ maxReconnectDelayMs: 1 })).toThrow(RangeError);
    expect(() => redisHub({ urll: 'redis://x' } as never)).toThrow(/did you mean `url`/);
    const http = createServer();
    expect(() => createFrameStreamServer({ server: http, hub: {} as never })).toThrow(/`hub`/);
  });
});

describe('streams joined through Redis', () => {
  it('runs a built-in source on one node only and shows its frames on every node', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)));
    const b = await node(await connected(hub(prefix)));
    const va = await viewer(a);
    const vb = await viewer(b);
    await waitFor(() => va.frames().length >= 10 && vb.frames().length >= 10, 'frames on both nodes');
    const produced = [a.stream.getStats().framesProduced, b.stream.getStats().framesProduced];
    // One node makes frames; the other relays them.
    expect(produced.filter((n) => n > 0)).toHaveLength(1);
    const sender = produced[0]! > 0 ? 'a' : 'b';
    const relayed = sender === 'a' ? vb : va;
    const seqs = relayed.frames().map((f) => f.meta.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    // Both see the whole cluster.
    await waitFor(() => a.stream.getStats().cluster!.viewers === 2 && b.stream.getStats().cluster!.viewers === 2, 'cluster totals');
    expect(a.stream.getStats().cluster!.nodes).toHaveLength(2);
    expect(a.errors).toEqual([]);
  });

  it('sends frames only to nodes with viewers', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)), { source: 'push' });
    const b = await node(await connected(hub(prefix)), { source: 'push' });
    const c = await node(await connected(hub(prefix)), { source: 'push' });
    const vb = await viewer(b);
    const probe = createClient({ url: redis.url });
    await probe.connect();
    cleanups.push(() => probe.close());
    const topic = `${prefix}:${a.stream.path}:frames`;
    const subscribers = async () => Number((await probe.pubSubNumSub(topic))[topic]);
    await expect.poll(subscribers).toBe(1);
    const jpeg = await solidJpeg(32, 32, [200, 0, 0]);
    a.stream.push(jpeg);
    await waitFor(() => vb.frames().length >= 1, 'the frame on node b');
    expect(c.stream.getStats().fps).toBe(0);
    await vb.close();
    await expect.poll(subscribers).toBe(0);
  });

  it('answers the snapshot route on a node nobody watches through', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)), { source: 'push', snapshotPath: '/snap' });
    const b = await node(await connected(hub(prefix)), { source: 'push', snapshotPath: '/snap' });
    await viewer(a); // frames are made while someone watches, anywhere
    const jpeg = await solidJpeg(32, 32, [0, 200, 0]);
    a.stream.push(jpeg);
    await waitFor(() => a.stream.getStats().framesProduced === 1, 'the push');
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${b.port}/snap`)).status)
      .toBe(200);
    const body = Buffer.from(await (await fetch(`http://127.0.0.1:${b.port}/snap`)).arrayBuffer());
    expect(body.equals(jpeg)).toBe(true);
  });

  it('broadcasts to every node, and routes control to the producing node and its replies back', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)), { source: 'push' });
    const b = await node(await connected(hub(prefix)), { source: 'push' });
    const va = await viewer(a);
    const vb = await viewer(b);
    const jpeg = await solidJpeg(32, 32, [0, 0, 200]);
    // Node a pushes; node b's viewer sees a's frames, so a is the producing node.
    await waitFor(() => {
      a.stream.push(jpeg);
      return vb.frames().length > 0;
    }, 'a frame relayed to b');
    const heardOnA: unknown[] = [];
    const heardOnB: unknown[] = [];
    a.stream.on('control', (data, from) => {
      heardOnA.push({ data, node: from.node });
      from.send({ echo: data });
    });
    b.stream.on('control', (data) => heardOnB.push(data));
    vb.send({ type: 'control', data: { prompt: 'a cat' } });
    await waitFor(() => heardOnA.length === 1, 'the control message on node a');
    expect(heardOnA[0]).toMatchObject({ data: { prompt: 'a cat' }, node: expect.any(String) });
    expect(heardOnB).toEqual([]);
    await waitFor(() => vb.ofType('control').some((m) => JSON.stringify(m.data) === '{"echo":{"prompt":"a cat"}}'), 'the reply on b');
    b.stream.broadcast({ hello: 'all' });
    await waitFor(() => va.ofType('control').some((m) => JSON.stringify(m.data) === '{"hello":"all"}'), 'the broadcast on a');
    await waitFor(() => vb.ofType('control').some((m) => JSON.stringify(m.data) === '{"hello":"all"}'), 'the broadcast on b');
  });

  it('hands the source to another node when the producing one goes', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)));
    const b = await node(await connected(hub(prefix)));
    const va = await viewer(a);
    const vb = await viewer(b);
    await waitFor(() => vb.frames().length >= 5 && va.frames().length >= 5, 'frames');
    const [gone, stays, watcher] = a.stream.getStats().framesProduced > 0 ? [a, b, vb] : [b, a, va];
    await gone.stream.close();
    const before = watcher.frames().length;
    await waitFor(() => stays.stream.getStats().framesProduced > 0 && watcher.frames().length > before + 5, 'the other node producing', 10_000);
  });

  it('keeps serving its own frames while Redis is away, says so once, and rejoins', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const prefix = freshPrefix();
    const h = redisHub({ url: own.url, prefix, maxReconnectDelayMs: 200 });
    cleanups.push(() => h.close());
    const h2 = redisHub({ url: own.url, prefix, maxReconnectDelayMs: 200 });
    cleanups.push(() => h2.close());
    await connected(h);
    await connected(h2);
    const a = await node(h);
    const b = await node(h2);
    const va = await viewer(a);
    const vb = await viewer(b);
    await waitFor(() => va.frames().length >= 5 && vb.frames().length >= 5, 'frames');
    await own.kill();
    await waitFor(() => !h.connected && !h2.connected, 'the hubs to notice');
    const [na, nb] = [va.frames().length, vb.frames().length];
    // Both nodes keep their viewers fed, each from its own source.
    await waitFor(() => va.frames().length > na + 10 && vb.frames().length > nb + 10, 'frames during the outage', 10_000);
    await sleep(1000); // retries fail meanwhile; none of them is another error
    expect(a.errors.filter((e) => (e as { code?: string }).code === 'ERR_HUB_UNAVAILABLE')).toHaveLength(1);
    expect(b.errors.filter((e) => (e as { code?: string }).code === 'ERR_HUB_UNAVAILABLE')).toHaveLength(1);
    await own.restart();
    await waitFor(() => h.connected && h2.connected, 'the hubs to reconnect', 10_000);
    // One node produces again, and the other's viewer gets its frames.
    await waitFor(() => {
      const s = [a.stream.getStats().producing, b.stream.getStats().producing];
      return s.filter(Boolean).length === 1;
    }, 'one producer again', 10_000);
    const [ma, mb] = [va.frames().length, vb.frames().length];
    await waitFor(() => va.frames().length > ma + 10 && vb.frames().length > mb + 10, 'frames after the outage', 10_000);
    expect(a.stream.getStats().cluster!.connected).toBe(true);
  });

  it('refuses a second producer on another node, and shows the first one\'s frames and status everywhere', async () => {
    const prefix = freshPrefix();
    const ingest = { token: 'hub-test' };
    const a = await node(await connected(hub(prefix)), { ingest });
    const b = await node(await connected(hub(prefix)), { ingest });
    const vb = await viewer(b);
    const producer = (n: Node) => {
      const p = new FrameProducer({ url: `ws://127.0.0.1:${n.port}${n.stream.path}/producer`, token: 'hub-test' });
      const errors: string[] = [];
      p.on('error', (e) => errors.push(e.code));
      cleanups.push(() => p.close());
      return { p, errors };
    };
    const first = producer(a);
    const jpeg = await solidJpeg(32, 32, [90, 90, 0]);
    await waitFor(() => {
      first.p.send(jpeg);
      return vb.frames().length > 0;
    }, 'the first producer\'s frames on node b');
    // Node b's viewers see the source online though the producer is on node a.
    await waitFor(() => vb.ofType('metrics').some((m) => m.metrics.sourceOnline === 1), 'online on node b', 5000);
    const second = producer(b);
    await waitFor(() => second.errors.includes('ERR_PRODUCER_BUSY'), 'the second producer refused');
    expect(b.errors.map((e) => (e as { code?: string }).code)).toContain('ERR_PRODUCER_BUSY');
    expect(first.errors).toEqual([]);
  });

  it('shows the first viewer of a relay node the last frame of a pushed stream at once', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)), { source: 'push' });
    const b = await node(await connected(hub(prefix)), { source: 'push' });
    await viewer(a);
    const jpeg = await solidJpeg(32, 32, [10, 200, 90]);
    a.stream.push(jpeg);
    await waitFor(() => a.stream.getStats().framesProduced === 1, 'the push');
    // Nothing is pushed again: the frame can only come from the hub's store.
    const vb = await viewer(b);
    await waitFor(() => vb.frames().length === 1, 'the last frame on node b');
    expect(Buffer.from(vb.frames()[0]!.payload).equals(jpeg)).toBe(true);
  });

  it('ignores messages it did not write on its channels, reports them once, and streams on', async () => {
    const prefix = freshPrefix();
    const a = await node(await connected(hub(prefix)));
    const b = await node(await connected(hub(prefix)));
    const va = await viewer(a);
    const vb = await viewer(b);
    await waitFor(() => va.frames().length > 3 && vb.frames().length > 3, 'frames');
    const intruder = createClient({ url: redis.url });
    await intruder.connect();
    cleanups.push(() => intruder.close());
    const path = a.stream.path;
    const nodeOf = (n: Node) => n.stream.getStats().cluster!.node;
    const junk = [Buffer.from([1, 250, 0]), Buffer.from('not json'), Buffer.from('{"kind":"control"}'), Buffer.alloc(64, 7)];
    for (const topic of ['frames', 'control', 'presence', `to:${nodeOf(a)}`, `to:${nodeOf(b)}`]) {
      for (const bytes of junk) await intruder.publish(`${prefix}:${path}:${topic}`, bytes);
    }
    const [na, nb] = [va.frames().length, vb.frames().length];
    await waitFor(() => va.frames().length > na + 10 && vb.frames().length > nb + 10, 'frames after the junk');
    for (const n of [a, b]) expect(n.errors.filter((e) => (e as { code?: string }).code === 'ERR_HUB_MESSAGE')).toHaveLength(1);
    expect(a.stream.getStats().cluster!.nodes).toHaveLength(2);
  });

  it('serves a session on one node from a producer connected to another: start, params, input, frames, end', async () => {
    const prefix = freshPrefix();
    const options = { session: 'producer', ingest: { token: 'hub-test' }, sessionGrace: 0 };
    const a = await node(await connected(hub(prefix)), options);
    const b = await node(await connected(hub(prefix)), options);
    const producer = new FrameProducer({ url: `ws://127.0.0.1:${a.port}${a.stream.path}/producer`, token: 'hub-test', sessions: true });
    cleanups.push(() => producer.close());
    const said: string[] = [];
    const inputs: Buffer[] = [];
    producer.on('error', () => {});
    producer.on('sessionStart', (s) => said.push(`start ${s.id}`));
    producer.on('sessionParams', (_s, params) => said.push(`params ${JSON.stringify(params)}`));
    producer.on('sessionEnd', (s, reason) => said.push(`end ${s.id} ${reason}`));
    producer.on('sessionInput', (s, input) => {
      inputs.push(Buffer.from(input.data));
      producer.sendTo(s, blue, { inputSeq: input.seq });
    });
    // The producer is on node a; the viewer's session runs on node b.
    await waitFor(() => b.stream.getStats().cluster!.nodes.some((n) => n.producing && !n.self), 'node b hearing of the producer');
    const v = await viewer(b);
    await waitFor(() => v.ofType('session').at(-1)?.state === 'active', 'an active session on node b');
    const { id } = v.ofType('session').at(-1) as { id: string };
    await waitFor(() => said.includes(`start ${id}`), 'sessionStart at the producer');
    v.send({ type: 'params', params: { prompt: 'a fox' } });
    await waitFor(() => said.includes('params {"prompt":"a fox"}'), 'the params at the producer');
    v.ws.send(encodeInputFrame({ seq: 5, captureTime: Date.now(), codec: 'jpeg' }, red));
    await waitFor(() => inputs.length > 0, 'the input at the producer');
    expect(inputs[0]!.equals(red)).toBe(true);
    await waitFor(() => v.frames().length > 0, "the producer's answer on node b");
    expect(Buffer.from(v.frames()[0]!.payload).equals(blue)).toBe(true);
    expect(v.frames()[0]!.meta.metrics).toMatchObject({ inputSeq: 5 });
    // The producer goes: the session on node b stays, offline; the next
    // producer, on node a again, is told of it with its params.
    await producer.close();
    await waitFor(() => v.ofType('metrics').at(-1)?.metrics.sourceOnline === 0, 'the session offline on node b', 10_000);
    const next = new FrameProducer({ url: `ws://127.0.0.1:${a.port}${a.stream.path}/producer`, token: 'hub-test', sessions: true });
    cleanups.push(() => next.close());
    const restarted: { id: string; params: unknown }[] = [];
    next.on('error', () => {});
    next.on('sessionStart', (s) => restarted.push({ id: s.id, params: s.params }));
    await waitFor(() => restarted.length === 1, 'the session announced to the next producer');
    expect(restarted[0]).toEqual({ id, params: { prompt: 'a fox' } });
    const ended: string[] = [];
    next.on('sessionEnd', (s) => ended.push(s.id));
    await v.close();
    await waitFor(() => ended.includes(id), 'sessionEnd at the producer');
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it("lets a producer on another node end a session, and tells that session's viewer why", async () => {
    const prefix = freshPrefix();
    const options = { session: 'producer', ingest: { token: 'hub-test' }, sessionGrace: 0 };
    const a = await node(await connected(hub(prefix)), options);
    const b = await node(await connected(hub(prefix)), options);
    const producer = new FrameProducer({ url: `ws://127.0.0.1:${a.port}${a.stream.path}/producer`, token: 'hub-test', sessions: true });
    cleanups.push(() => producer.close());
    producer.on('error', () => {});
    producer.on('sessionStart', (s) => producer.endSession(s, 'Out of GPU time'));
    await waitFor(() => b.stream.getStats().cluster!.nodes.some((n) => n.producing && !n.self), 'node b hearing of the producer');
    const v = await viewer(b);
    await waitFor(() => v.closeCode !== undefined, "the viewer's session ended", 10_000);
    expect(v.closeCode).toBe(4001);
    expect(v.ofType('session').at(-1)).toMatchObject({ state: 'ended', reason: 'Out of GPU time' });
  });
});
