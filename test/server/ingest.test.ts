import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  encodeProducerFrame,
  PRODUCER_CLOSE_CODES,
  PRODUCER_SUBPROTOCOL,
  SUBPROTOCOL,
  type IngestServerMessage,
} from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { decodeJpeg, openViewer, solid, solidJpeg, waitFor } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const TOKEN = 'secret-token';

async function setup(ingest: Partial<NonNullable<FrameStreamServerOptions['ingest']>> = {}, options: Partial<FrameStreamServerOptions> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({ server, path: '/ws/model/', ingest: { path: '/ingest/model', token: TOKEN, ...ingest }, ...options });
  cleanups.push(() => stream.close());
  const errors: Error[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(server);
  const viewer = async () => {
    const v = await openViewer(`ws://127.0.0.1:${port}/ws/model/`, SUBPROTOCOL);
    cleanups.push(() => v.close());
    return v;
  };
  return { server, stream, port, errors, viewer };
}

/** A hand-rolled producer over `ws`, recording what the server says. */
class RawProducer {
  readonly ws: WebSocket;
  readonly messages: IngestServerMessage[] = [];
  closeCode: number | undefined;
  status: number | undefined;
  readonly opened: Promise<void>;
  private nextId = 1;

  constructor(port: number, { token = TOKEN, protocol = PRODUCER_SUBPROTOCOL }: { token?: string | null; protocol?: string | null } = {}) {
    const headers = token === null ? {} : { Authorization: `Bearer ${token}` };
    const url = `ws://127.0.0.1:${port}/ingest/model`;
    this.ws = protocol === null ? new WebSocket(url, { headers }) : new WebSocket(url, protocol, { headers });
    this.ws.on('message', (data, isBinary) => !isBinary && this.messages.push(JSON.parse(String(data)) as IngestServerMessage));
    this.ws.on('close', (code) => (this.closeCode = code));
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => {
        this.status = res.statusCode;
        reject(new Error(`HTTP ${res.statusCode}`));
      });
    });
    cleanups.push(() => this.ws.terminate());
  }

  ofType<T extends IngestServerMessage['type']>(type: T) {
    return this.messages.filter((m): m is Extract<IngestServerMessage, { type: T }> => m.type === type);
  }

  sendJpeg(jpeg: Uint8Array, metrics?: Record<string, number>): number {
    const frameId = this.nextId++;
    this.ws.send(encodeProducerFrame({ format: 'jpeg', target: 0, width: 0, height: 0, channels: 0, frameId, metrics }, jpeg));
    return frameId;
  }

  sendRaw(format: 'uint8' | 'float32', data: Uint8Array | Float32Array, width: number, height: number, channels: 1 | 3 | 4): number {
    const frameId = this.nextId++;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.ws.send(encodeProducerFrame({ format, target: 0, width, height, channels, frameId }, bytes));
    return frameId;
  }
}

async function producer(port: number, options?: ConstructorParameters<typeof RawProducer>[1]) {
  const p = new RawProducer(port, options);
  await p.opened;
  await waitFor(() => p.ofType('welcome').length === 1, 'welcome');
  return p;
}

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(24, 16, [220, 20, 20]), solidJpeg(24, 16, [20, 20, 220])]);
});

describe('FrameStreamServer with an ingest endpoint', () => {
  it('forwards a producer\'s JPEG to viewers byte for byte, with its metrics', async () => {
    const { port, viewer } = await setup();
    const v = await viewer();
    const p = await producer(port);
    expect(p.ofType('welcome')[0]).toMatchObject({ version: 1, credits: 2, maxFrameWidth: 8192, maxFrameHeight: 8192, stream: { path: '/ws/model', fps: 0 }, watching: true });
    p.sendJpeg(red, { inferenceMs: 41.5 });
    await waitFor(() => v.frames().length === 1, 'the frame');
    const [frame] = v.frames();
    expect(Buffer.from(frame!.payload).equals(red)).toBe(true);
    expect(frame!.meta.metrics).toEqual({ inferenceMs: 41.5 });
    expect(v.ofType('hello')[0]!.stream.source).toBe('ingest');
  });

  it('encodes raw uint8 and float32 pixels once on the server', async () => {
    const { port, viewer } = await setup();
    const v = await viewer();
    const p = await producer(port);
    p.sendRaw('uint8', solid(20, 10, [0, 200, 0]), 20, 10, 3);
    const floats = new Float32Array(30 * 12 * 3).map((_, i) => (i % 3 === 2 ? 1 : 0));
    p.sendRaw('float32', floats, 30, 12, 3);
    await waitFor(() => v.frames().length === 2, 'both frames');
    const [green, blueish] = await Promise.all(v.frames().map((f) => decodeJpeg(f.payload)));
    expect([green!.width, green!.height]).toEqual([20, 10]);
    expect(green!.data[1]).toBeGreaterThan(150);
    expect([blueish!.width, blueish!.height]).toEqual([30, 12]);
    expect(blueish!.data[2]).toBeGreaterThan(200);
  });

  it('gives a credit back for each frame once the stream is through with it', async () => {
    const { port, viewer } = await setup({ credits: 2 });
    await viewer();
    const p = await producer(port);
    const ids = [p.sendJpeg(red), p.sendJpeg(blue)];
    await waitFor(() => p.ofType('credit').length === 2, 'two credits');
    expect(p.ofType('credit').map((c) => c.frameId).sort()).toEqual(ids);
    expect(p.ofType('credit').every((c) => c.n === 1)).toBe(true);
  });

  it('tells the producer when viewers come and all go, so its model can pause', async () => {
    const { port, viewer } = await setup();
    const p = await producer(port);
    expect(p.ofType('welcome')[0]!.watching).toBe(false);
    const v = await viewer();
    await waitFor(() => p.ofType('demand').length === 1, 'demand');
    await v.close();
    await waitFor(() => p.ofType('demand').length === 2, 'demand to end');
    expect(p.ofType('demand').map((d) => d.watching)).toEqual([true, false]);
  });

  it('keeps viewers and their last frame when the producer goes, shows the source offline, and resumes when it returns', async () => {
    const { port, stream, viewer } = await setup();
    const v = await viewer();
    const first = await producer(port);
    first.sendJpeg(red);
    await waitFor(() => v.frames().length === 1, 'the first frame');
    const before = Date.now();
    first.ws.close();
    await waitFor(() => stream.getStats().producer?.connected === false, 'the producer to be gone');
    await waitFor(() => v.ofType('metrics').some((m) => m.metrics.sourceOnline === 0), 'metrics saying offline');
    const offline = v.ofType('metrics').find((m) => m.metrics.sourceOnline === 0)!.metrics;
    expect(offline.sourceOfflineSince).toBeGreaterThanOrEqual(before - 5);
    expect(v.closeCode).toBeUndefined();
    const second = await producer(port);
    second.sendJpeg(blue);
    await waitFor(() => v.frames().length === 2, 'the frame after the producer returned');
    expect(Buffer.from(v.frames()[1]!.payload).equals(blue)).toBe(true);
    await waitFor(() => v.ofType('metrics').at(-1)!.metrics.sourceOnline === 1, 'metrics saying online');
  });

  it('refuses a second producer with 4409, or replaces the first with 4410 when asked', async () => {
    const refusing = await setup();
    await producer(refusing.port);
    const second = new RawProducer(refusing.port);
    await second.opened;
    await waitFor(() => second.closeCode !== undefined, 'the refusal');
    expect(second.closeCode).toBe(PRODUCER_CLOSE_CODES.busy);
    expect(refusing.errors.map((e) => (e as { code?: string }).code)).toContain('ERR_PRODUCER_BUSY');

    const replacing = await setup({ replace: true });
    const old = await producer(replacing.port);
    const fresh = await producer(replacing.port);
    await waitFor(() => old.closeCode !== undefined, 'the old producer to be closed');
    expect(old.closeCode).toBe(PRODUCER_CLOSE_CODES.replaced);
    expect(fresh.closeCode).toBeUndefined();
  });

  describe('refused connections', () => {
    it('answers a wrong or missing token with 401, and a guessing address with 429 after five tries', async () => {
      const { port, errors } = await setup();
      for (const token of ['wrong', null, 'secret-tokeN', 'x', 'y']) {
        const p = new RawProducer(port, { token });
        await p.opened.catch(() => {});
        expect(p.status).toBe(401);
      }
      const right = new RawProducer(port);
      await right.opened.catch(() => {});
      expect(right.status).toBe(429); // even the right token, until the window ends
      expect(errors.filter((e) => (e as { code?: string }).code === 'ERR_PRODUCER_REFUSED')).toHaveLength(5);
    });

    it('answers 400 to a client that does not ask for the producer subprotocol', async () => {
      const { port } = await setup();
      const p = new RawProducer(port, { protocol: null });
      await p.opened.catch(() => {});
      expect(p.status).toBe(400);
    });

    it('lets authorizeProducer decide', async () => {
      const { port } = await setup({ token: undefined, authorizeProducer: (req) => req.headers['x-model'] === 'ok' });
      const p = new WebSocket(`ws://127.0.0.1:${port}/ingest/model`, PRODUCER_SUBPROTOCOL, { headers: { 'x-model': 'ok' } });
      cleanups.push(() => p.terminate());
      await new Promise((resolve, reject) => p.once('open', resolve).once('error', reject));
    });
  });

  describe('hostile producers', () => {
    it.each([
      ['a header that lies about its length', (jpeg: Buffer) => {
        const msg = encodeProducerFrame({ format: 'jpeg', target: 0, width: 0, height: 0, channels: 0, frameId: 1 }, jpeg);
        new DataView(msg.buffer).setUint32(16, jpeg.length + 1000, true);
        return msg;
      }],
      ['raw sizes that do not multiply out', () =>
        encodeProducerFrame({ format: 'uint8', target: 0, width: 100, height: 100, channels: 3, frameId: 1 }, new Uint8Array(10))],
      ['JPEG bytes that are not a JPEG', () =>
        encodeProducerFrame({ format: 'jpeg', target: 0, width: 0, height: 0, channels: 0, frameId: 1 }, new Uint8Array(64).fill(7))],
      ['an unknown format', (jpeg: Buffer) => {
        const msg = encodeProducerFrame({ format: 'jpeg', target: 0, width: 0, height: 0, channels: 0, frameId: 1 }, jpeg);
        msg[1] = 9;
        return msg;
      }],
      ['text after authentication', () => 'hello'],
    ])('closes a producer that sends %s, reports it, and leaves viewers untouched', async (_, make) => {
      const { port, viewer, errors } = await setup();
      const v = await viewer();
      const good = await producer(port);
      good.sendJpeg(red);
      await waitFor(() => v.frames().length === 1, 'a good frame');
      good.ws.send(make(blue));
      await waitFor(() => good.closeCode !== undefined, 'the producer to be closed');
      expect(good.closeCode).toBe(PRODUCER_CLOSE_CODES.protocolError);
      expect(errors.map((e) => (e as { code?: string }).code).some((c) => c === 'ERR_PRODUCER_PROTOCOL' || c === 'ERR_INVALID_FRAME')).toBe(true);
      expect(v.closeCode).toBeUndefined();
      expect(v.frames()).toHaveLength(1);
    });

    it('closes a producer whose frame is over maxFrameBytes: 4400, or 1009 before the bytes arrive when far over', async () => {
      const { port, errors } = await setup({}, { maxFrameBytes: 1024 });
      const over = await producer(port);
      over.sendRaw('uint8', new Uint8Array(20 * 20 * 3), 20, 20, 3);
      await waitFor(() => over.closeCode !== undefined, 'the close');
      expect(over.closeCode).toBe(PRODUCER_CLOSE_CODES.protocolError);
      expect(errors.map((e) => (e as { code?: string }).code)).toContain('ERR_INVALID_FRAME');
      const farOver = await producer(port);
      farOver.sendRaw('uint8', new Uint8Array(200 * 200 * 3), 200, 200, 3);
      await waitFor(() => farOver.closeCode !== undefined, 'the close');
      expect(farOver.closeCode).toBe(1009);
    });
  });

  it('cuts off a producer that stops answering pings, so a vanished producer does not stay online', async () => {
    const { port, stream, errors } = await setup({}, { heartbeatInterval: 100 });
    const p = new RawProducer(port);
    await p.opened;
    (p.ws as unknown as { _receiver: { removeAllListeners(e: string): void } })._receiver.removeAllListeners('ping');
    (p.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing, answers nothing
    await waitFor(() => stream.getStats().producer?.connected === false, 'the producer to be cut off');
    expect(errors.map((e) => (e as { code?: string }).code)).toContain('ERR_HEARTBEAT_TIMEOUT');
  });

  it('says why in an error message before closing a producer for a protocol error', async () => {
    const { port } = await setup();
    const p = await producer(port);
    p.ws.send('not a frame');
    await waitFor(() => p.closeCode !== undefined, 'the close');
    expect(p.ofType('error')[0]).toMatchObject({ code: 'ERR_PRODUCER_PROTOCOL', message: expect.stringMatching(/binary frames only/) });
  });

  describe('options', () => {
    it('needs a token or authorizeProducer, and refuses push() and setSource() on an ingest stream', async () => {
      const server = createHostServer();
      expect(() => createFrameStreamServer({ server, ingest: {} })).toThrow(/ingest.token/);
      expect(() => createFrameStreamServer({ server, ingest: { tokn: 'x' } } as never)).toThrow(/did you mean `token`/);
      expect(() => createFrameStreamServer({ server, source: 'noise', ingest: { token: 'x' } })).toThrow(/leave `source` out/);
      const { stream } = await setup();
      expect(() => stream.push(red)).toThrow(TypeError);
      expect(() => stream.setSource('noise')).toThrow(TypeError);
    });
  });
});
