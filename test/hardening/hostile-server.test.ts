import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientFrame,
  frameCounter,
  RawClient,
  rawUpgrade,
  runCleanups,
  startStream,
  upgradeRequest,
  waitFor,
  type Cleanups,
  type StreamFixture,
  type Viewer,
} from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

// Fuzzing sends hundreds of messages a second; the rate limit is tested on its own.
const UNLIMITED = { controlRateLimit: { messages: 1_000_000, perMs: 1000 } };

/** Resolves once the server has answered ping `id`, i.e. it handled everything sent before. */
function pinger(v: Viewer) {
  const pongs = new Set<number>();
  v.ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(data.toString()) as { type: string; id?: number };
    if (msg.type === 'pong') pongs.add(msg.id!);
  });
  let id = 0;
  return async () => {
    const mine = ++id;
    v.ws.send(JSON.stringify({ type: 'ping', id: mine, clientTime: 0 }));
    await waitFor(() => pongs.has(mine) || v.closeCode !== undefined, `pong ${mine}`);
    if (!pongs.has(mine)) throw new Error(`the connection closed with ${v.closeCode} instead of answering`);
  };
}

/** Fails the test unless the healthy viewer received at least `n` more frames while `attack` ran. */
async function whileHealthyStreams(f: StreamFixture, attack: () => Promise<void>, n = 5): Promise<void> {
  const healthy = await f.viewer();
  const count = frameCounter(healthy);
  await attack();
  await waitFor(() => count() >= n, `the healthy viewer to receive ${n} frames during the attack`);
  expect(healthy.closeCode).toBeUndefined();
}

describe('FrameStreamServer under hostile input', () => {
  describe('client messages', () => {
    it('answers any JSON with an error message or its reply and keeps the connection (property)', async () => {
      const f = await startStream(cleanups, UNLIMITED);
      await whileHealthyStreams(f, async () => {
        const attacker = await f.viewer();
        const sync = pinger(attacker);
        const message = fc.oneof(
          fc.json(),
          fc.record({ type: fc.constantFrom('ping', 'setMaxFps', 'control', 'hello', 'pong', '__proto__'), id: fc.anything(), fps: fc.anything(), clientTime: fc.anything(), data: fc.jsonValue() }, { requiredKeys: ['type'] }).map((o) => JSON.stringify(o)),
          fc.string(),
        );
        await fc.assert(
          fc.asyncProperty(message, async (text) => {
            const before = attacker.texts.length;
            attacker.ws.send(text);
            await sync();
            // Every reply in between is well-formed framestream JSON.
            for (const t of attacker.texts.slice(before)) {
              const reply = JSON.parse(t) as { type: string; code?: string };
              expect(['pong', 'error', 'metrics']).toContain(reply.type);
              if (reply.type === 'error') expect(reply.code).toMatch(/^ERR_CONTROL_/);
            }
          }),
          { numRuns: 300 },
        );
        expect(attacker.closeCode).toBeUndefined();
      });
      expect(f.errors.every((e) => e.code.startsWith('ERR_CONTROL_'))).toBe(true);
    });

    it('answers random binary messages with ERR_CONTROL_INVALID and keeps the connection (property)', async () => {
      const f = await startStream(cleanups, UNLIMITED);
      await whileHealthyStreams(f, async () => {
        const attacker = await f.viewer();
        const sync = pinger(attacker);
        await fc.assert(
          fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
            const errorsBefore = attacker.texts.filter((t) => t.includes('"error"')).length;
            attacker.ws.send(bytes, { binary: true });
            await sync();
            expect(attacker.texts.filter((t) => t.includes('ERR_CONTROL_INVALID')).length).toBe(errorsBefore + 1);
          }),
          { numRuns: 150 },
        );
      });
    });

    it('ignores whatever a plain viewer sends and never answers it with text', async () => {
      const f = await startStream(cleanups, UNLIMITED);
      await whileHealthyStreams(f, async () => {
        const plain = await f.viewer({ protocol: null });
        await fc.assert(
          fc.asyncProperty(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 1024 })), async (m) => {
            plain.ws.send(m);
          }),
          { numRuns: 200 },
        );
        const count = frameCounter(plain);
        await waitFor(() => count() >= 3, 'frames for the plain viewer after its noise');
        expect(plain.texts).toEqual([]);
        expect(plain.closeCode).toBeUndefined();
      });
    });

    it('closes the connection on text that is not UTF-8, and only that one', async () => {
      const f = await startStream(cleanups);
      await whileHealthyStreams(f, async () => {
        const raw = await rawUpgrade(f.port, '/ws/test/', { 'Sec-WebSocket-Protocol': 'framestream.v1' });
        raw.write(clientFrame(1, Buffer.from([0xc3, 0x28, 0xff, 0xfe])));
        await raw.closed;
        expect(raw.closeCode()).toBe(1007);
      });
    });

    it('survives random bytes after the upgrade: each connection is closed or ignored, and forgotten when it goes (property)', async () => {
      const f = await startStream(cleanups);
      await whileHealthyStreams(f, async () => {
        await fc.assert(
          fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
            const raw = await rawUpgrade(f.port, '/ws/test/', { 'Sec-WebSocket-Protocol': 'framestream.v1' });
            raw.write(Buffer.from(bytes));
            raw.socket.end();
            await raw.closed;
            await waitFor(() => f.stream.clientCount === 1, 'the stream to forget the garbage connection');
          }),
          { numRuns: 40 },
        );
      });
    });

    it('reports an onControl hook that throws and keeps the connection', async () => {
      const f = await startStream(cleanups, {
        onControl: (data) => {
          if ((data as { fail?: boolean })?.fail) throw new Error('prompt rejected by the model');
          return Promise.reject(new Error('async hook failed'));
        },
      });
      const v = await f.viewer();
      const sync = pinger(v);
      v.ws.send(JSON.stringify({ type: 'control', data: { fail: true } }));
      v.ws.send(JSON.stringify({ type: 'control', data: { prompt: 'cat' } }));
      await sync();
      await waitFor(() => f.errors.length === 2, 'both hook failures');
      expect(f.errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED']);
      expect(v.closeCode).toBeUndefined();
    });
  });

  describe('upgrade requests', () => {
    /** Sends a raw request and resolves with the status the server answered, or `'closed'`. */
    async function statusOf(port: number, request: string | Buffer): Promise<number | 'closed'> {
      const c = new RawClient(port);
      cleanups.push(() => c.destroy());
      await c.connected;
      c.write(request);
      await waitFor(() => c.status() !== undefined || c.ended, 'an answer');
      const status = c.status() ?? 'closed';
      c.destroy();
      return status;
    }

    it('refuses or negotiates malformed subprotocol lists, never crashing or picking a bogus protocol', async () => {
      const f = await startStream(cleanups);
      await whileHealthyStreams(f, async () => {
        const lists = [',,,', 'framestream.v1,,', ' ', 'a b c', '"framestream.v1"', 'framestream.v1, framestream.v1', 'x'.repeat(8000), '\u00ff\u00fe', ', framestream.v1'];
        for (const list of lists) {
          const status = await statusOf(f.port, upgradeRequest('/ws/test/', { 'Sec-WebSocket-Protocol': list }));
          expect([101, 400]).toContain(status);
        }
        await fc.assert(
          fc.asyncProperty(fc.string({ unit: 'binary-ascii', maxLength: 200 }).filter((s) => !/[\r\n\0]/.test(s)), async (list) => {
            const c = new RawClient(f.port);
            cleanups.push(() => c.destroy());
            await c.connected;
            c.write(upgradeRequest('/ws/test/', { 'Sec-WebSocket-Protocol': list }));
            await waitFor(() => c.status() !== undefined || c.ended, 'an answer');
            const head = c.data.toString('latin1');
            if (c.status() === 101) {
              const chosen = /sec-websocket-protocol: *([^\r]*)/i.exec(head)?.[1];
              expect(chosen === undefined || chosen === 'framestream.v1').toBe(true);
            }
            c.destroy();
          }),
          { numRuns: 60 },
        );
      });
    });

    it('answers huge headers without reaching the stream', async () => {
      const f = await startStream(cleanups);
      await whileHealthyStreams(f, async () => {
        const status = await statusOf(f.port, upgradeRequest('/ws/test/', { 'X-Padding': 'a'.repeat(200_000) }));
        expect([431, 400, 'closed']).toContain(status);
        const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, 'v'.repeat(20)]));
        expect([431, 400, 'closed']).toContain(await statusOf(f.port, upgradeRequest('/ws/test/', many)));
      });
      expect(f.stream.getStats()).toMatchObject({ viewers: 1, rejectedConnections: 0 }); // the healthy one only
    });

    it('refuses upgrades with the wrong method and leaves other paths to the host', async () => {
      const f = await startStream(cleanups);
      await whileHealthyStreams(f, async () => {
        for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
          expect(await statusOf(f.port, upgradeRequest('/ws/test/', {}, method))).toBe(405);
        }
        for (const path of ['/ws/test/extra', '/WS/TEST/', '/ws/tes', '//ws/test/', '/ws/test/../x']) {
          // Only the host's routes answer these: its handler says 200 "host".
          expect(await statusOf(f.port, upgradeRequest(path))).toBe(200);
        }
        const malformed: Record<string, string>[] = [{ 'Sec-WebSocket-Version': '7' }, { 'Sec-WebSocket-Key': 'short' }, { Upgrade: 'h2c' }];
        for (const bad of malformed) {
          expect([400, 426, 200]).toContain(await statusOf(f.port, upgradeRequest('/ws/test/', bad)));
        }
      });
      expect(f.stream.clientCount).toBe(1); // the healthy one only
    });
  });
});
