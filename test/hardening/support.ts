import { readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import sharp from 'sharp';
import WebSocket from 'ws';
import { SUBPROTOCOL, type FrameStreamError } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { waitFor } from './wait.js';

export * from './raw.js';
export * from './wait.js';

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
  /** `viewerError` events: what viewers did wrong, sampled. */
  viewerErrors: FrameStreamError[];
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
  const viewerErrors: FrameStreamError[] = [];
  stream.on('viewerError', (e) => viewerErrors.push(e));
  const port = await listen(host);
  const path = (options.path ?? '/ws/test/').replace(/\/?$/, '/');
  const url = `ws://127.0.0.1:${port}${path}`;
  return {
    server: host,
    stream,
    port,
    url,
    errors,
    viewerErrors,
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

// ---- leak counters --------------------------------------------------------

/** Active resources of one kind, e.g. `'Timeout'` or `'TCPSocketWrap'`. */
export function activeResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
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
