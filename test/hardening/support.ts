import { readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import sharp from 'sharp';
import WebSocket from 'ws';
import { SUBPROTOCOL, type FrameStreamError } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';

/**
 * Shared pieces of the hardening tests: a stream on a real loopback host,
 * well-formed `ws` viewers, hand-rolled hostile clients on raw `net` sockets,
 * and counters for the resources a leak would leave behind.
 */

/** Cleanup functions run last-in first-out; each test file drains it in `afterEach`. */
export type Cleanups = (() => Promise<unknown> | unknown)[];

export async function runCleanups(cleanups: Cleanups): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // One failed cleanup must not leave the others' servers running.
    }
  }
}

/** Polls `condition` every 10 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A viewer over `ws` that records frames, text messages and how it closed. */
export class Viewer {
  readonly ws: WebSocket;
  readonly binary: Buffer[] = [];
  readonly texts: string[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;

  /** `protocol: null` makes a plain client that asks for no subprotocol. */
  constructor(url: string, protocol: string | null = SUBPROTOCOL, options: WebSocket.ClientOptions = {}) {
    this.ws = protocol ? new WebSocket(url, protocol, options) : new WebSocket(url, options);
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary.push(data);
      else this.texts.push(data.toString('utf8'));
    });
    this.ws.on('error', () => {}); // refusals are asserted through `opened`
    this.closed = new Promise((resolve) => this.ws.on('close', (code) => resolve((this.closeCode = code))));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
        // With this listener ws leaves the request open; terminate() aborts it and emits close.
        this.ws.terminate();
      });
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {}); // a refusal is an outcome, asserted through handshakeOutcome()
  }

  /** Parsed JSON text messages. */
  messages(): { type: string; [k: string]: unknown }[] {
    return this.texts.map((t) => JSON.parse(t) as { type: string });
  }

  errorCodes(): string[] {
    return this.messages()
      .filter((m) => m.type === 'error')
      .map((m) => String(m.code));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }
}

/** The HTTP status a refused `ws` handshake got, or `'open'` when it was accepted. */
export async function handshakeOutcome(viewer: Viewer): Promise<number | 'open'> {
  try {
    await viewer.opened;
    return 'open';
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return status;
  }
}

export interface StreamFixture {
  server: Server;
  stream: FrameStreamServer;
  port: number;
  /** `ws://127.0.0.1:<port><path>` */
  url: string;
  errors: FrameStreamError[];
  /** Opens a viewer (framestream.v1 unless `protocol` is `null`) and waits until the stream counts it. */
  viewer(options?: { protocol?: string | null; query?: string; ws?: WebSocket.ClientOptions }): Promise<Viewer>;
}

/** Small, quick frames: these tests are about behaviour, not image size. */
export const SMALL = { width: 32, height: 32, fps: 30 } as const;

/** A host http server on 127.0.0.1:0 with a stream attached; everything is closed by `cleanups`. */
export async function startStream(
  cleanups: Cleanups,
  options: Partial<FrameStreamServerOptions> = {},
  host: Server = createHostServer(),
): Promise<StreamFixture> {
  cleanups.push(() => closeServer(host));
  const stream = createFrameStreamServer({ server: host, ...SMALL, ...options });
  cleanups.push(() => stream.close());
  const errors: FrameStreamError[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(host);
  const path = (options.path ?? '/ws/test/').replace(/\/?$/, '/');
  const url = `ws://127.0.0.1:${port}${path}`;
  return {
    server: host,
    stream,
    port,
    url,
    errors,
    async viewer({ protocol = SUBPROTOCOL, query = '', ws = {} } = {}) {
      const before = stream.clientCount;
      const v = new Viewer(url + query, protocol, ws);
      cleanups.push(() => v.close());
      await v.opened;
      await waitFor(() => stream.clientCount > before, 'the stream to count the viewer');
      return v;
    },
  };
}

/** A solid-colour JPEG, encoded by sharp. */
export function solidJpeg(width: number, height: number, rgb: [number, number, number] = [200, 40, 40]): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = rgb[i % 3]!;
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

// ---- hostile clients on raw sockets ------------------------------------------

/** A raw TCP connection that records everything the server sends. */
export class RawClient {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  ended = false;
  /** The server closed its side (FIN). */
  finReceived = false;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;

  /** With `allowHalfOpen` the client keeps its side open after the server's FIN, as a hostile one may. */
  constructor(port: number, { allowHalfOpen = false } = {}) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    this.socket.on('error', () => {}); // resets are expected here
    this.socket.on('data', (d) => (this.data = Buffer.concat([this.data, d])));
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => this.socket.once('close', () => ((this.ended = true), resolve())));
    this.socket.once('end', () => (this.finReceived = true));
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The status code of the first HTTP response line, once one has arrived. */
  status(): number | undefined {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.data.toString('latin1'));
    return m ? Number(m[1]) : undefined;
  }

  async waitForStatus(timeoutMs = 20_000): Promise<number> {
    await waitFor(() => this.status() !== undefined || this.ended, 'an HTTP response', timeoutMs);
    const s = this.status();
    if (s === undefined) throw new Error(`connection closed without a response; got ${JSON.stringify(this.data.toString('latin1'))}`);
    return s;
  }

  /** Bytes after the HTTP response head (WebSocket frames once upgraded). */
  body(): Buffer {
    const end = this.data.indexOf('\r\n\r\n');
    return end === -1 ? Buffer.alloc(0) : this.data.subarray(end + 4);
  }

  /** The complete server→client WebSocket frames received so far. */
  frames(): { opcode: number; payload: Buffer }[] {
    return parseServerFrames(this.body());
  }

  /** The code of the server's close frame, once one has arrived. */
  closeCode(): number | undefined {
    const close = this.frames().find((f) => f.opcode === 8);
    return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The request head of a WebSocket upgrade, as a browser would send it. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}, method = 'GET'): string {
  const all: Record<string, string> = {
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** Opens a raw socket, sends an upgrade and resolves once the server has answered 101. */
export async function rawUpgrade(port: number, path = '/ws/test/', headers: Record<string, string> = {}): Promise<RawClient> {
  const c = new RawClient(port);
  await c.connected;
  c.write(upgradeRequest(path, headers));
  const status = await c.waitForStatus();
  if (status !== 101) throw new Error(`expected 101, got ${status}`);
  return c;
}

/**
 * One masked client→server WebSocket frame (RFC 6455 §5.2), FIN set.
 * Opcode 1 = text, 2 = binary, 8 = close, 9 = ping.
 */
export function clientFrame(opcode: number, payload: Buffer | string, { fin = true, declaredLength }: { fin?: boolean; declaredLength?: number } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = declaredLength ?? body.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  if (len < 126) head.push(0x80 | len);
  else if (len < 65536) head.push(0x80 | 126, len >> 8, len & 0xff);
  else {
    head.push(0x80 | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  const mask = [0x12, 0x34, 0x56, 0x78];
  const masked = Buffer.from(body.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), Buffer.from(mask), masked]);
}

/** Splits unmasked server→client WebSocket frames; an incomplete tail is left out. */
export function parseServerFrames(buf: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const opcode = buf[i]! & 0x0f;
    let len = buf[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      if (at + 2 > buf.length) break;
      len = buf.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      if (at + 8 > buf.length) break;
      len = Number(buf.readBigUInt64BE(at));
      at += 8;
    }
    if (at + len > buf.length) break;
    out.push({ opcode, payload: buf.subarray(at, at + len) });
    i = at + len;
  }
  return out;
}

// ---- leak counters --------------------------------------------------------

/** Active resources of one kind, e.g. `'Timeout'` or `'TCPSocketWrap'`. */
export function activeResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Lets pending callbacks, closes and timers of zero delay run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Counts frames a viewer receives from now on, for "keeps its frame rate" checks. */
export function frameCounter(v: Viewer): () => number {
  const start = v.binary.length;
  return () => v.binary.length - start;
}

/** A plain HTTP GET (or other method) on loopback; resolves with status, headers and body. */
export function httpRequest(
  port: number,
  path: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: Buffer }> {
  return import('node:http').then(
    ({ request }) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }),
  );
}
