import type { Server } from 'node:http';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameStreamClient, type Frame, type FrameStreamClientOptions, type SessionState } from '../../src/client/index.js';
import { createFrameStreamServer, type FrameStreamServer, type FrameStreamServerOptions, type Session } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { nextEvent, waitUntil } from './support/wait.js';

// The client against the package's own interactive stream (a `session`
// function), over loopback: what a viewer of an img2img model sees.

interface Host {
  http: Server;
  stream: FrameStreamServer;
  port: number;
  /** Every connection the server accepted, with its URL's query. */
  connections: string[];
}

const hosts: Host[] = [];
const clients: FrameStreamClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const h of hosts.splice(0)) {
    await h.stream.close();
    await closeServer(h.http);
  }
});

let jpeg: Uint8Array;
beforeAll(async () => {
  const raw = Buffer.alloc(32 * 24 * 3, 128);
  jpeg = new Uint8Array(await sharp(raw, { raw: { width: 32, height: 24, channels: 3 } }).jpeg().toBuffer());
});

/** A model that answers every input frame with that frame. */
const echo = async function* (session: Session) {
  for await (const input of session.frames()) yield { frame: input.data };
};

async function startHost(options: Partial<FrameStreamServerOptions> & Pick<FrameStreamServerOptions, 'session'>): Promise<Host> {
  const http = createHostServer();
  const connections: string[] = [];
  http.on('upgrade', (req) => connections.push(new URL(req.url ?? '/', 'http://x').search));
  const stream = createFrameStreamServer({ server: http, path: '/ws/live/', width: 32, height: 24, fps: 30, ...options });
  stream.on('error', () => {});
  const port = await listen(http);
  const host = { http, stream, port, connections };
  hosts.push(host);
  return host;
}

/**
 * `ws` with a record of what went through it: input frames sent (their
 * seq), acknowledgements received, and the largest number that were ever
 * unacknowledged at once, as the server saw the socket.
 */
class RecordingSocket extends WebSocket {
  static all: RecordingSocket[] = [];
  readonly inputs: number[] = [];
  acked = 0;
  maxInFlight = 0;
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    RecordingSocket.all.push(this);
    this.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(String(data)) as { type: string; seq?: number };
      if (msg.type === 'inputAck') this.acked = Math.max(this.acked, msg.seq!);
    });
  }
  override send(data: unknown, ...rest: never[]): void {
    if (data instanceof Uint8Array && data[0] === 2) {
      this.inputs.push(new DataView(data.buffer, data.byteOffset).getUint32(4, true));
      this.maxInFlight = Math.max(this.maxInFlight, this.inputs.filter((s) => s > this.acked).length);
    }
    (super.send as (...args: unknown[]) => void)(data, ...rest);
  }
}

function makeClient(host: Host, options: Partial<FrameStreamClientOptions> = {}, query = '') {
  const client = new FrameStreamClient({
    url: `ws://127.0.0.1:${host.port}/ws/live/${query}`,
    WebSocket: RecordingSocket as never,
    initialDelayMs: 50,
    maxDelayMs: 200,
    ...options,
  });
  clients.push(client);
  return client;
}

const sessionOf = (c: FrameStreamClient): SessionState | null => c.getSnapshot().session;
const activeSession = (c: FrameStreamClient) =>
  waitUntil(() => c.status === 'connected' && sessionOf(c)?.state === 'active', 'an active session');

describe('FrameStreamClient on an interactive stream', () => {
  describe('#sendFrame', () => {
    it('sends input frames, gets its own frames back naming them, and measures the round trip', async () => {
      const host = await startHost({ session: echo });
      const client = makeClient(host);
      const frames: Frame[] = [];
      client.on('frame', (f) => frames.push({ ...f, data: f.data.slice() }));
      client.connect();
      await activeSession(client);
      expect(sessionOf(client)).toMatchObject({ state: 'active', position: null, spectator: false, expiresAt: null, reason: null });
      expect(sessionOf(client)!.id).toEqual(expect.any(String));

      const captureTime = Date.now() - 5;
      expect(client.sendFrame(jpeg, { captureTime })).toBe('sent');
      await waitUntil(() => frames.length > 0, 'the echoed frame');
      expect(Buffer.from(frames[0]!.data).equals(Buffer.from(jpeg))).toBe(true);
      expect(frames[0]!.inputSeq).toBe(1);
      expect(frames[0]!.roundTripMs).toBeGreaterThanOrEqual(5);
      await waitUntil(() => client.getSnapshot().stats.roundTrip !== null, 'the round trip in the snapshot');
      const { roundTrip } = client.getSnapshot().stats;
      expect(roundTrip!.p50).toBeGreaterThanOrEqual(5);
      expect(roundTrip!.p95).toBeGreaterThanOrEqual(roundTrip!.p50);
    });

    it('keeps at most two frames unacknowledged before a slow model, the newest waiting in place of older ones', async () => {
      const taken: number[] = [];
      const host = await startHost({
        session: async function* (session) {
          for await (const input of session.frames()) {
            taken.push(input.seq);
            await sleep(80); // a model slower than the camera
            yield { frame: input.data };
          }
        },
      });
      const client = makeClient(host, { maxInputFps: Infinity });
      client.connect();
      await activeSession(client);
      const results: unknown[] = [];
      for (let i = 0; i < 60; i++) {
        results.push(client.sendFrame(jpeg));
        expect(client.getStats().inputInFlight).toBeLessThanOrEqual(2);
        await sleep(10);
      }
      const socket = RecordingSocket.all.at(-1)!;
      expect(socket.maxInFlight).toBeLessThanOrEqual(2);
      expect(results).toContain('sent');
      expect(results).toContain('waiting');
      // Each acknowledgement (one per frame the model took) frees at most
      // two places, so the uplink carried no more than that; the rest of
      // the 60 frames never left the page.
      expect(taken.length).toBeGreaterThan(2);
      expect(socket.inputs.length).toBeLessThanOrEqual(2 + 2 * taken.length);
      expect(socket.inputs.length).toBeLessThan(results.length);
      // Sequence numbers rise; the model never took one twice or went back.
      expect(socket.inputs).toEqual([...socket.inputs].sort((a, b) => a - b));
      expect(taken).toEqual([...new Set(taken)].sort((a, b) => a - b));
    });

    it('frees the place of an input frame the server refused, which it never acknowledges', async () => {
      const host = await startHost({ session: echo, maxInputBytes: 1024 });
      const noise = Buffer.from(Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 251));
      const big = new Uint8Array(await sharp(noise, { raw: { width: 96, height: 96, channels: 3 } }).jpeg({ quality: 95 }).toBuffer());
      expect(big.byteLength).toBeGreaterThan(1024);
      const client = makeClient(host, { maxInputFps: Infinity });
      const errors: string[] = [];
      client.on('error', (e) => errors.push(e.code));
      client.connect();
      await activeSession(client);
      expect([client.sendFrame(big), client.sendFrame(big), client.sendFrame(big)]).toEqual(['sent', 'sent', 'waiting']);
      await waitUntil(() => errors.length === 3, 'three refusals');
      expect(errors).toEqual(['ERR_INPUT_TOO_LARGE', 'ERR_INPUT_TOO_LARGE', 'ERR_INPUT_TOO_LARGE']);
      // Nothing is stuck in flight: a good frame goes and comes back.
      const frame = nextEvent(client, 'frame');
      expect(client.sendFrame(jpeg)).toBe('sent');
      expect((await frame).inputSeq).toBe(4);
    });

    it('refuses frames while queued and throws a TypeError for what is not a frame', async () => {
      const host = await startHost({ session: echo, maxSessions: 1 });
      const first = makeClient(host);
      first.connect();
      await activeSession(first);
      const second = makeClient(host);
      second.connect();
      await waitUntil(() => second.status === 'queued', 'the second client queued');
      expect(second.sendFrame(jpeg)).toBe(false);
      expect(() => second.sendFrame('nope' as never)).toThrow(/`frame`/);
      expect(() => second.sendFrame(new Uint8Array([1, 2, 3]))).toThrow(TypeError);
      expect(() => second.sendFrame(jpeg, { quality: 3 })).toThrow(/`quality`/);
    });
  });

  describe('#setParams', () => {
    it('reaches the session, and is sent again to a new session', async () => {
      const seen: Record<string, unknown>[] = [];
      const host = await startHost({
        session: (session) => {
          session.on('params', (p) => seen.push({ ...p }));
        },
      });
      const client = makeClient(host);
      client.connect();
      await activeSession(client);
      expect(client.setParams({ prompt: 'a watercolour fox' })).toBe(true);
      await waitUntil(() => seen.length === 1, 'the params at the server');
      expect(seen[0]).toEqual({ prompt: 'a watercolour fox' });
      expect(() => client.setParams([] as never)).toThrow(/`params`/);
      expect(() => client.setParams({ n: 1n })).toThrow(/`params`/);
    });
  });

  it('sends the params again to a new session when the old one was gone by the time the client came back', async () => {
    const seen: [string, unknown][] = [];
    const host = await startHost({
      sessionGrace: 0,
      session: (session) => {
        session.on('params', (p) => seen.push([session.id, p.prompt]));
      },
    });
    const client = makeClient(host);
    client.connect();
    await activeSession(client);
    const first = sessionOf(client)!.id;
    client.setParams({ prompt: 'owl' });
    await waitUntil(() => seen.length === 1, 'the params at the first session');
    RecordingSocket.all.at(-1)!.terminate();
    await waitUntil(() => client.status === 'connected' && sessionOf(client)!.id !== first, 'a new session');
    await waitUntil(() => seen.length === 2, 'the params at the new session');
    expect(seen[1]).toEqual([sessionOf(client)!.id, 'owl']);
  });

  it('watches another session as a spectator: its frames arrive, its input and params are refused', async () => {
    const host = await startHost({ session: echo, authorizeSpectator: () => true });
    const owner = makeClient(host);
    owner.connect();
    await activeSession(owner);
    const watcher = makeClient(host, {}, `?watch=${sessionOf(owner)!.id}`);
    watcher.connect();
    await activeSession(watcher);
    expect(sessionOf(watcher)).toMatchObject({ state: 'active', id: sessionOf(owner)!.id, spectator: true });
    expect(watcher.sendFrame(jpeg)).toBe(false);
    expect(watcher.setParams({ prompt: 'mine now' })).toBe(false);
    const seen = nextEvent(watcher, 'frame');
    owner.sendFrame(jpeg);
    // The owner's input, answered: the spectator sees which, but has no round trip of its own.
    expect(await seen).toMatchObject({ inputSeq: 1, roundTripMs: null });
  });

  describe('queue', () => {
    it('shows status queued with the position, and connected once the session ahead ends', async () => {
      const host = await startHost({ session: echo, maxSessions: 1 });
      const first = makeClient(host);
      first.connect();
      await activeSession(first);
      const second = makeClient(host);
      const statuses: string[] = [];
      second.on('status', (s) => statuses.push(s));
      // The status is already the session's when its event comes.
      const atSession: [string | undefined, string][] = [];
      second.on('session', (s) => atSession.push([s?.state, second.status]));
      second.connect();
      await waitUntil(() => second.status === 'queued', 'the second client queued');
      expect(sessionOf(second)).toMatchObject({ state: 'queued', position: 1, id: null });
      // Never shown as connected while it waits.
      expect(statuses).toEqual(['connecting', 'queued']);
      first.disconnect();
      await activeSession(second);
      expect(statuses).toEqual(['connecting', 'queued', 'connected']);
      expect(atSession).toEqual([
        ['queued', 'queued'],
        ['active', 'connected'],
      ]);
      expect(first.getSnapshot().session).toBeNull();
    });
  });

  describe('resume', () => {
    it('gets the same session back after a dropped socket, keeping the page’s own query', async () => {
      const host = await startHost({ session: echo, sessionGrace: 5000 });
      const client = makeClient(host, {}, '?room=7');
      client.connect();
      await activeSession(client);
      const id = sessionOf(client)!.id;
      RecordingSocket.all.at(-1)!.terminate();
      await nextEvent(client, 'status', (s) => s === 'reconnecting');
      await activeSession(client);
      expect(sessionOf(client)!.id).toBe(id);
      expect(host.connections).toHaveLength(2);
      expect(host.connections[0]).toBe('?room=7');
      const resumed = new URLSearchParams(host.connections[1]);
      expect(resumed.get('room')).toBe('7');
      expect(resumed.get('session')).toEqual(expect.any(String));
      // And frames still flow both ways.
      const frame = nextEvent(client, 'frame');
      expect(client.sendFrame(jpeg)).toBe('sent');
      expect((await frame).inputSeq).toEqual(expect.any(Number));
    });
  });

  describe('ending', () => {
    it('settles in error with the model’s reason and does not reconnect', async () => {
      const host = await startHost({
        session: async function* (session) {
          for await (const input of session.frames()) {
            yield { frame: input.data };
            session.end('The model is done with you');
          }
        },
      });
      const client = makeClient(host);
      const errors: string[] = [];
      client.on('error', (e) => errors.push(e.code));
      client.connect();
      await activeSession(client);
      client.sendFrame(jpeg);
      await waitUntil(() => client.status === 'error', 'status error');
      expect(client.getSnapshot().failure).toMatchObject({ code: 'ERR_SESSION_ENDED', message: 'The model is done with you', closeCode: 4001 });
      expect(sessionOf(client)).toMatchObject({ state: 'ended', reason: 'The model is done with you' });
      expect(errors).toContain('ERR_SESSION_ENDED');
      await sleep(300);
      expect(client.status).toBe('error');
      expect(host.connections).toHaveLength(1);
      // Connecting again starts a new session, without the old token.
      client.connect();
      await activeSession(client);
      expect(host.connections[1]).toBe('');
    });

    it('says ERR_SESSION_TIMEOUT when the session’s time runs out', async () => {
      const host = await startHost({ session: echo, sessionTimeout: 300 });
      const client = makeClient(host);
      client.connect();
      await activeSession(client);
      expect(sessionOf(client)!.expiresAt).toBeGreaterThan(Date.now());
      await waitUntil(() => client.status === 'error', 'status error');
      expect(client.getSnapshot().failure).toMatchObject({ code: 'ERR_SESSION_TIMEOUT', closeCode: 4408 });
      expect(client.getSnapshot().failure!.message).toMatch(/time limit/);
      await sleep(300);
      expect(host.connections).toHaveLength(1);
    });
  });
});
