import { createServer } from 'node:http';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { FrameStreamClient, type Frame } from '../../src/client/index.js';
import { encodeFrameMessage, SUBPROTOCOL, wallClockMs, type FrameStreamError } from '../../src/protocol/index.js';
import { closeServer, listen } from '../support/net.js';
import { runCleanups, solidJpeg, waitFor, type Cleanups } from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await solidJpeg(16, 8);
});

/** A well-formed framestream.v1 frame message around the test JPEG. */
function goodFrame(seq: number): Buffer {
  const now = wallClockMs();
  return Buffer.from(
    encodeFrameMessage({ seq, captureTime: now, encodedTime: now, width: 16, height: 8, codec: 'jpeg' }, jpeg),
  );
}

/**
 * A hostile server: a real `ws` server that hands the test the socket of the
 * client it accepted, so the test can send it anything at all.
 */
async function hostileServer({ framed = true } = {}) {
  const http = createServer();
  const wss = new WebSocketServer({
    server: http,
    handleProtocols: (protocols) => (framed && protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => sockets.push(ws));
  const port = await listen(http);
  cleanups.push(() => closeServer(http), () => new Promise((r) => wss.close(r)));

  const client = new FrameStreamClient({
    url: `ws://127.0.0.1:${port}/`,
    WebSocket: WebSocket as never,
    mode: framed ? 'auto' : 'bare',
    helloTimeoutMs: 50, // this server never says hello
  });
  const frames: Frame[] = [];
  const errors: FrameStreamError[] = [];
  client.on('frame', (f) => frames.push({ ...f, data: f.data.slice() }));
  client.on('error', (e) => errors.push(e));
  cleanups.push(() => client.destroy());
  client.connect();
  await waitFor(() => sockets.length === 1 && client.status === 'connected', 'the client to connect');
  const peer = sockets[0]!;
  cleanups.push(() => peer.terminate());

  let seq = 0;
  /** Sends one good frame and waits for the client to deliver it. */
  const roundTrip = async () => {
    const want = frames.length + 1;
    peer.send(framed ? goodFrame(++seq) : jpeg, { binary: true });
    await waitFor(() => frames.length >= want, 'the next good frame');
  };
  return { client, peer, frames, errors, roundTrip };
}

/** Mutates a copy of a good frame message. */
function tamper(seq: number, edit: (b: Buffer) => Buffer | void): Buffer {
  const b = goodFrame(seq);
  return edit(b) ?? b;
}

describe('FrameStreamClient under hostile input', () => {
  it('reports each malformed frame with its code, never throws, and goes on streaming', async () => {
    const h = await hostileServer();
    const cases: [string, Buffer][] = [
      ['ERR_FRAME_TRUNCATED', goodFrame(1).subarray(0, 20)], // shorter than the fixed header
      ['ERR_FRAME_TRUNCATED', goodFrame(1).subarray(0, 60)], // payload cut short
      ['ERR_FRAME_TRUNCATED', tamper(1, (b) => void b.writeUInt32LE(0xffffffff, 28))], // absurd payload length
      ['ERR_FRAME_HEADER', tamper(1, (b) => void b.writeUInt16LE(8, 2))], // header length below 32
      ['ERR_FRAME_HEADER', tamper(1, (b) => void b.writeUInt16LE(0xffff, 2))], // header length past the end
      ['ERR_FRAME_UNKNOWN_TYPE', tamper(1, (b) => void b.writeUInt8(7, 0))],
      ['ERR_FRAME_UNKNOWN_CODEC', tamper(1, (b) => void b.writeUInt8(9, 1))],
      ['ERR_FRAME_HEADER', tamper(1, (b) => void b.writeUInt16LE(0, 24))], // zero width
      ['ERR_FRAME_HEADER', tamper(1, (b) => void b.writeDoubleLE(Number.NaN, 8))], // NaN capture time
      [
        'ERR_FRAME_METRICS',
        (() => {
          const bad = Buffer.from('{"inferenceMs": 4');
          const b = goodFrame(1);
          const out = Buffer.concat([b.subarray(0, 32), bad, b.subarray(32)]);
          out.writeUInt16LE(32 + bad.length, 2);
          return out;
        })(),
      ],
      ['ERR_FRAME_TRUNCATED', Buffer.alloc(0)],
    ];
    for (const [code, bytes] of cases) {
      const before = h.errors.length;
      h.peer.send(bytes, { binary: true });
      await h.roundTrip();
      expect(h.errors.slice(before).map((e) => e.code)).toEqual([code]);
    }
    expect(h.frames).toHaveLength(cases.length);
    expect(h.frames.every((f) => Buffer.from(f.data).equals(jpeg))).toBe(true);
    expect(h.client.status).toBe('connected');
  });

  it('reports garbage text with a control code and goes on streaming', async () => {
    const h = await hostileServer();
    const cases: [string, string][] = [
      ['ERR_CONTROL_JSON', '{"type": "hello"'],
      ['ERR_CONTROL_JSON', '\u0000\u0001binary as text'],
      ['ERR_CONTROL_INVALID', '[1,2,3]'],
      ['ERR_CONTROL_INVALID', 'null'],
      ['ERR_CONTROL_UNKNOWN_TYPE', '{"type":"explode"}'],
      ['ERR_CONTROL_INVALID', '{"type":"hello","stream":{"width":"wide"}}'],
      ['ERR_CONTROL_INVALID', '{"type":"pong","id":1}'],
      ['ERR_CONTROL_INVALID', '{"type":"metrics"}'],
      ['ERR_CONTROL_INVALID', '{"type":"error","code":5}'],
    ];
    for (const [code, text] of cases) {
      const before = h.errors.length;
      h.peer.send(text);
      await h.roundTrip();
      expect(h.errors.slice(before).map((e) => e.code)).toEqual([code]);
    }
    expect(h.client.status).toBe('connected');
  });

  it('survives random binary messages: each one is an error event or a frame, and the stream goes on (property)', async () => {
    const h = await hostileServer();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          // Random bytes behind a valid first byte reach the deeper checks.
          fc.uint8Array({ minLength: 31, maxLength: 300 }).map((b) => Uint8Array.of(1, 1, ...b)),
        ),
        async (bytes) => {
          const before = { errors: h.errors.length, frames: h.frames.length };
          h.peer.send(bytes, { binary: true });
          await h.roundTrip();
          const events = h.errors.length - before.errors + (h.frames.length - before.frames - 1);
          expect(events).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
    expect(h.client.status).toBe('connected');
  });

  it('survives random JSON and text: nothing throws and the stream goes on (property)', async () => {
    const h = await hostileServer();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record({ type: fc.constantFrom('hello', 'pong', 'metrics', 'error', 'control'), stream: fc.anything(), metrics: fc.anything(), serverTime: fc.anything(), id: fc.anything(), clientTime: fc.anything(), code: fc.anything(), message: fc.anything(), data: fc.jsonValue(), maxFps: fc.anything() })
            .map((o) => JSON.stringify(o)),
        ),
        async (text) => {
          h.peer.send(text);
          await h.roundTrip();
        },
      ),
      { numRuns: 200 },
    );
    expect(h.client.status).toBe('connected');
  });

  it('reports binary messages that are not a JPEG from a plain server and goes on', async () => {
    const h = await hostileServer({ framed: false });
    for (const bytes of [Buffer.from('not a jpeg'), Buffer.alloc(0), Buffer.from([0xff, 0xd8])]) {
      const before = h.errors.length;
      h.peer.send(bytes, { binary: true });
      await h.roundTrip();
      expect(h.errors.slice(before).map((e) => e.code)).toEqual(['ERR_INVALID_FRAME']);
    }
    expect(h.frames.every((f) => Buffer.from(f.data).equals(jpeg))).toBe(true);
  });

  it('reads JPEG-looking garbage from a plain server as a frame or an error, never a throw (property)', async () => {
    const h = await hostileServer({ framed: false });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (body, sof) => {
        // Half the cases carry a start-of-frame segment with random dimensions.
        const head = sof ? [0xff, 0xc0, 0, 11, 8, ...body.subarray(0, 4), 3, 0, 0, 0] : [];
        const bytes = Uint8Array.from([0xff, 0xd8, 0xff, ...head, ...body]);
        const before = { errors: h.errors.length, frames: h.frames.length };
        h.peer.send(bytes, { binary: true });
        await h.roundTrip();
        const delivered = h.frames.slice(before.frames, -1);
        expect(h.errors.length - before.errors + delivered.length).toBe(1);
        for (const fr of delivered) expect(Number.isInteger(fr.width) && Number.isInteger(fr.height)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('drops garbage quietly when the app has no error listener', async () => {
    const h = await hostileServer();
    h.client.removeAllListeners('error');
    h.peer.send(Buffer.from([1, 2, 3]), { binary: true });
    h.peer.send('{not json');
    await h.roundTrip();
    expect(h.client.status).toBe('connected');
  });
});
