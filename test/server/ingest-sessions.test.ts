import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CLOSE_CODES,
  decodeProducerInput,
  encodeInputFrame,
  encodeProducerFrame,
  PRODUCER_CLOSE_CODES,
  PRODUCER_SUBPROTOCOL,
  SUBPROTOCOL,
  type IngestServerMessage,
  type ProducerInputHeader,
} from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { openViewer, solidJpeg, waitFor, type TestViewer } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const TOKEN = 'secret-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(options: Partial<FrameStreamServerOptions> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({
    server,
    path: '/ws/live/',
    session: 'producer',
    ingest: { path: '/ingest/live', token: TOKEN },
    heartbeatInterval: 0,
    ...options,
  });
  cleanups.push(() => stream.close());
  const errors: Error[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(server);
  const viewer = async (query = '') => {
    const v = await openViewer(`ws://127.0.0.1:${port}/ws/live/${query}`, SUBPROTOCOL);
    cleanups.push(() => v.close());
    await waitFor(() => v.ofType('session').at(-1)?.state === 'active', 'an active session');
    return v;
  };
  return { stream, port, errors, viewer };
}

/** A hand-rolled producer over `ws`: what a producer in any language sees. */
class RawProducer {
  readonly ws: WebSocket;
  readonly messages: IngestServerMessage[] = [];
  readonly inputs: { header: ProducerInputHeader; payload: Buffer }[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  private nextId = 1;

  constructor(port: number, query = '?sessions=1') {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ingest/live${query}`, PRODUCER_SUBPROTOCOL, { headers: { Authorization: `Bearer ${TOKEN}` } });
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return void this.messages.push(JSON.parse(String(data)) as IngestServerMessage);
      const { header, payload } = decodeProducerInput(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.inputs.push({ header, payload: Buffer.from(payload) });
    });
    this.ws.on('close', (code) => (this.closeCode = code));
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve) => this.ws.once('open', () => resolve()));
    cleanups.push(() => this.ws.terminate());
  }

  ofType<T extends IngestServerMessage['type']>(type: T) {
    return this.messages.filter((m): m is Extract<IngestServerMessage, { type: T }> => m.type === type);
  }

  sendTo(target: number, jpeg: Uint8Array, metrics?: Record<string, number>): number {
    const frameId = this.nextId++;
    this.ws.send(encodeProducerFrame({ format: 'jpeg', target, width: 0, height: 0, channels: 0, frameId, metrics }, jpeg));
    return frameId;
  }
}

async function producer(port: number, query?: string) {
  const p = new RawProducer(port, query);
  await p.opened;
  await waitFor(() => p.ofType('welcome').length === 1, 'welcome');
  return p;
}

let seq = 0;
const sendInput = (v: TestViewer, jpeg: Buffer, s = ++seq) => v.ws.send(encodeInputFrame({ seq: s, captureTime: 1_700_000_000_000, codec: 'jpeg' }, jpeg));

/** `jpeg` grown to about `bytes` with comment segments: still one valid JPEG. */
function padded(jpeg: Buffer, bytes: number): Buffer {
  const segments: Buffer[] = [];
  for (let size = jpeg.length; size < bytes; size += 60_004) {
    segments.push(Buffer.from([0xff, 0xfe, (60_002 >> 8) & 0xff, 60_002 & 0xff]), Buffer.alloc(60_000, 0x20));
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(24, 16, [220, 20, 20]), solidJpeg(24, 16, [20, 20, 220])]);
});

describe('FrameStreamServer with sessions served by a producer', () => {
  describe('options', () => {
    it('needs `ingest` with `session: "producer"`, and refuses a `session` function with `ingest`', () => {
      const server = createHostServer();
      expect(() => createFrameStreamServer({ server, session: 'producer' })).toThrow(/give `ingest` too/);
      expect(() => createFrameStreamServer({ server, session: () => {}, ingest: { token: TOKEN } })).toThrow(/pass `session: 'producer'`/);
      expect(() => createFrameStreamServer({ server, session: 'producer', ingest: { token: TOKEN }, source: 'noise' })).toThrow(/leave `source` out/);
      expect(() => createFrameStreamServer({ server, session: 'model' as never })).toThrow(TypeError);
    });
  });

  describe('opt-in', () => {
    it('refuses a producer that did not ask to serve sessions with 4412, saying how, and tells it nothing of sessions', async () => {
      const { port, errors, viewer } = await setup();
      await viewer();
      const p = new RawProducer(port, '');
      await p.opened;
      await waitFor(() => p.closeCode !== undefined, 'the close');
      expect(p.closeCode).toBe(PRODUCER_CLOSE_CODES.sessionsRequired);
      expect(p.messages).toEqual([{ type: 'error', code: 'ERR_PRODUCER_REFUSED', message: expect.stringContaining('?sessions=1') }]);
      expect(errors.map((e) => (e as { code?: string }).code)).toContain('ERR_PRODUCER_REFUSED');
    });

    it('sends a v1 producer on a broadcast stream exactly what it sent before: no `sessions` field, no `target` in credits', async () => {
      const { port } = await setup({ session: undefined, ingest: { path: '/ingest/live', token: TOKEN } });
      const p = await producer(port, '');
      expect(Object.keys(p.ofType('welcome')[0]!)).not.toContain('sessions');
      p.sendTo(0, red);
      await waitFor(() => p.ofType('credit').length === 1, 'the credit');
      expect(p.ofType('credit')[0]).toEqual({ type: 'credit', n: 1, frameId: 1 });
    });

    it('tells a producer that asks on a broadcast stream that there are no sessions for it', async () => {
      const { port } = await setup({ session: undefined, ingest: { path: '/ingest/live', token: TOKEN } });
      const p = await producer(port, '?sessions=1');
      expect(p.ofType('welcome')[0]).toMatchObject({ sessions: false });
    });
  });

  describe('delivery', () => {
    it('tells the producer of a session\'s start, params, input (byte for byte) and end', async () => {
      const { port, viewer } = await setup();
      const p = await producer(port);
      expect(p.ofType('welcome')[0]).toMatchObject({ sessions: true, credits: 2 });
      const v = await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
      const start = p.ofType('sessionStart')[0]!;
      const { id } = v.ofType('session').at(-1) as { id: string };
      expect(start).toEqual({ type: 'sessionStart', target: expect.any(Number), id, params: {}, viewer: null, expiresAt: null });
      expect(start.target).toBeGreaterThan(0);
      v.send({ type: 'params', params: { prompt: 'a cat' } });
      await waitFor(() => p.ofType('sessionParams').length === 1, 'sessionParams');
      expect(p.ofType('sessionParams')[0]).toEqual({ type: 'sessionParams', target: start.target, params: { prompt: 'a cat' } });
      sendInput(v, red, 7);
      await waitFor(() => p.inputs.length === 1, 'the input frame');
      expect(p.inputs[0]!.header).toEqual({ target: start.target, seq: 7, width: 24, height: 16, captureTime: 1_700_000_000_000, codec: 'jpeg' });
      expect(p.inputs[0]!.payload.equals(red)).toBe(true);
      await waitFor(() => v.ofType('inputAck').some((a) => a.seq === 7), 'the ack');
      v.ws.close(1000);
      await waitFor(() => p.ofType('sessionEnd').length === 1, 'sessionEnd');
      expect(p.ofType('sessionEnd')[0]).toEqual({ type: 'sessionEnd', target: start.target, reason: 'The viewer left' });
    });

    it("sends a frame addressed to a session to that session's viewer only, with a credit naming the target", async () => {
      const { port, viewer } = await setup();
      const p = await producer(port);
      const alice = await viewer();
      const bob = await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 2, 'two sessions');
      const [a, b] = p.ofType('sessionStart');
      const id = p.sendTo(a!.target, red, { inputSeq: 3 });
      await waitFor(() => alice.frames().length === 1, "alice's frame");
      expect(Buffer.from(alice.frames()[0]!.payload).equals(red)).toBe(true);
      expect(alice.frames()[0]!.meta.metrics).toMatchObject({ inputSeq: 3 });
      await waitFor(() => p.ofType('credit').length === 1, 'the credit');
      expect(p.ofType('credit')[0]).toEqual({ type: 'credit', n: 1, frameId: id, target: a!.target });
      p.sendTo(b!.target, blue);
      await waitFor(() => bob.frames().length === 1, "bob's frame");
      expect(Buffer.from(bob.frames()[0]!.payload).equals(blue)).toBe(true);
      await sleep(50);
      expect(alice.frames()).toHaveLength(1);
    });

    it('tells of a queued session only when it starts, keeping `maxSessions` for the producer to serve', async () => {
      const { port, viewer } = await setup({ maxSessions: 1 });
      const p = await producer(port);
      const first = await viewer();
      const second = await openViewer(`ws://127.0.0.1:${port}/ws/live/`, SUBPROTOCOL);
      cleanups.push(() => second.close());
      await waitFor(() => second.ofType('session').at(-1)?.state === 'queued', 'the second queued');
      await sleep(50);
      expect(p.ofType('sessionStart')).toHaveLength(1);
      first.ws.close(1000);
      await waitFor(() => p.ofType('sessionStart').length === 2, 'the second session started');
      expect(p.ofType('sessionEnd')).toHaveLength(1);
      expect(p.ofType('sessionStart')[1]!.id).toBe((second.ofType('session').at(-1) as { id: string }).id);
    });

    it('shares what `ingest.sessionInfo` chooses about the viewer, and nothing by default', async () => {
      const { port, viewer } = await setup({
        authorize: () => ({ name: 'ada', cookie: 'do-not-share' }),
        allowedOrigins: '*',
        ingest: { path: '/ingest/live', token: TOKEN, sessionInfo: (s) => ({ name: (s.identity as { name: string }).name }) },
      });
      const p = await producer(port);
      await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
      expect(p.ofType('sessionStart')[0]!.viewer).toEqual({ name: 'ada' });
    });

    it('hands a producer that was away only the newest input of each session (latest wins)', async () => {
      const { port, viewer } = await setup();
      const v = await viewer();
      for (let i = 1; i <= 5; i++) sendInput(v, i % 2 ? red : blue, 200 + i);
      await sleep(100);
      expect(v.ofType('inputAck')).toEqual([]); // nobody took them
      const p = await producer(port);
      await waitFor(() => p.inputs.length === 1, 'the newest input');
      await sleep(100);
      expect(p.inputs.map((i) => i.header.seq)).toEqual([205]);
      await waitFor(() => v.ofType('inputAck').some((a) => a.seq === 205), 'the ack');
    });
  });

  describe('a producer that ends a session', () => {
    it('ends it with its reason: the viewer is told and closed with 4001, the producer gets the sessionEnd', async () => {
      const { port, viewer } = await setup();
      const p = await producer(port);
      const v = await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
      const { target } = p.ofType('sessionStart')[0]!;
      p.ws.send(JSON.stringify({ type: 'sessionEnd', target, reason: 'The model could not read the prompt' }));
      await waitFor(() => v.closeCode !== undefined, "the viewer's close");
      expect(v.closeCode).toBe(CLOSE_CODES.sessionEnded);
      expect(v.ofType('session').at(-1)).toEqual({ type: 'session', state: 'ended', reason: 'The model could not read the prompt' });
      await waitFor(() => p.ofType('sessionEnd').length === 1, 'sessionEnd');
      expect(p.ofType('sessionEnd')[0]).toEqual({ type: 'sessionEnd', target, reason: 'The model could not read the prompt' });
      p.ws.send(JSON.stringify({ type: 'sessionEnd', target })); // crossed the end: ignored
      await sleep(50);
      expect(p.closeCode).toBeUndefined();
    });

    it('is closed with 4400 for any other text, or a target no session has', async () => {
      const { port, errors } = await setup();
      for (const text of ['hello', JSON.stringify({ type: 'sessionEnd', target: 999 }), JSON.stringify({ type: 'params', target: 1 })]) {
        const p = await producer(port);
        p.ws.send(text);
        await waitFor(() => p.closeCode !== undefined, 'the close');
        expect(p.closeCode).toBe(PRODUCER_CLOSE_CODES.protocolError);
      }
      expect(errors.filter((e) => (e as { code?: string }).code === 'ERR_PRODUCER_PROTOCOL')).toHaveLength(3);
    });
  });

  describe('a slow producer', () => {
    it("gets each session's newest input once its socket has room, never a backlog", async () => {
      const { port, viewer } = await setup({ maxInputBytes: 2 * 1024 * 1024 });
      const p = await producer(port);
      const v = await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
      // A producer that stops reading: the server's socket to it fills up.
      p.ws.pause();
      const big = padded(red, 1024 * 1024);
      const count = 40;
      for (let i = 1; i <= count; i++) {
        sendInput(v, big, 1000 + i);
        if (i % 10 === 0) await sleep(100); // within the viewer's input rate
      }
      await waitFor(() => v.ws.bufferedAmount === 0, 'the inputs on their way');
      await sleep(300);
      p.ws.resume();
      await waitFor(() => p.inputs.some((i) => i.header.seq === 1000 + count), 'the newest input');
      await sleep(200);
      const seqs = p.inputs.map((i) => i.header.seq);
      // What filled the kernel's buffers went; the rest waited as one frame, the newest.
      expect(seqs.length).toBeLessThan(count);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.at(-1)).toBe(1000 + count);
      expect(p.inputs.every((i) => i.payload.equals(big))).toBe(true);
    });
  });

  describe('a producer that goes and comes back', () => {
    it('leaves sessions open and offline, and tells the next producer of every open session with its params', async () => {
      const { port, stream, viewer } = await setup({ heartbeatInterval: 200 });
      const first = await producer(port);
      const v = await viewer();
      await waitFor(() => first.ofType('sessionStart').length === 1, 'sessionStart');
      const { target, id } = first.ofType('sessionStart')[0]!;
      v.send({ type: 'params', params: { strength: 0.4 } });
      await waitFor(() => first.ofType('sessionParams').length === 1, 'params');
      first.ws.close();
      await waitFor(() => stream.getStats().producer?.connected === false, 'the producer to be gone');
      await waitFor(() => v.ofType('metrics').some((m) => m.metrics.sourceOnline === 0), 'metrics saying offline');
      expect(v.closeCode).toBeUndefined();
      const second = await producer(port);
      await waitFor(() => second.ofType('sessionStart').length === 1, 'the session announced again');
      expect(second.ofType('sessionStart')[0]).toMatchObject({ target, id, params: { strength: 0.4 } });
      second.sendTo(target, blue);
      await waitFor(() => v.frames().length === 1, 'a frame from the second producer');
      await waitFor(() => v.ofType('metrics').at(-1)!.metrics.sourceOnline === 1, 'metrics saying online');
    });
  });

  describe('a producer that breaks the rules', () => {
    it('is closed with 4400 for a target no session has, or 0, and the viewers are untouched', async () => {
      const { port, errors, viewer } = await setup();
      const v = await viewer();
      for (const target of [0, 0xdead_beef]) {
        const p = await producer(port);
        await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
        p.sendTo(target, red);
        await waitFor(() => p.closeCode !== undefined, 'the close');
        expect(p.closeCode).toBe(PRODUCER_CLOSE_CODES.protocolError);
        expect(p.ofType('error')[0]).toMatchObject({ code: 'ERR_PRODUCER_PROTOCOL' });
      }
      expect(errors.filter((e) => (e as { code?: string }).code === 'ERR_PRODUCER_PROTOCOL')).toHaveLength(2);
      expect(v.closeCode).toBeUndefined();
      expect(v.frames()).toEqual([]);
      const p = await producer(port);
      await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
      p.sendTo(p.ofType('sessionStart')[0]!.target, red);
      await waitFor(() => v.frames().length === 1, 'the session still served');
    });

    it('drops a frame for a session that has just ended without closing the producer', async () => {
      const { port, viewer } = await setup();
      const p = await producer(port);
      const v = await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 1, 'sessionStart');
      const { target } = p.ofType('sessionStart')[0]!;
      v.ws.close(1000);
      await waitFor(() => p.ofType('sessionEnd').length === 1, 'sessionEnd');
      p.sendTo(target, red); // crossed the sessionEnd on the wire
      const other = await viewer();
      await waitFor(() => p.ofType('sessionStart').length === 2, 'the next session');
      p.sendTo(p.ofType('sessionStart')[1]!.target, blue);
      await waitFor(() => other.frames().length === 1, 'the next session served');
      expect(p.closeCode).toBeUndefined();
      expect(p.ofType('sessionStart')[1]!.target).not.toBe(target); // numbers are not reused
    });
  });
});
