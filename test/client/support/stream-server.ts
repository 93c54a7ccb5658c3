import { createServer, type IncomingMessage, type Server } from 'node:http';
import sharp from 'sharp';
import { WebSocket, WebSocketServer } from 'ws';
import {
  encodeFrameMessage,
  encodeFrameMetrics,
  parseClientMessage,
  SUBPROTOCOL,
  wallClockMs,
  type ClientMessage,
  type FrameMetrics,
  type ServerMessage,
} from '../../../src/protocol/index.js';
import { closeServer, listen } from '../../support/net.js';

/**
 * `framed` speaks framestream.v1 to clients that ask for it (and bare JPEG to
 * those that do not); `bare` behaves like the FastAPI app this package grew
 * from: it never picks a subprotocol and sends each frame as one JPEG.
 */
export type StreamMode = 'framed' | 'bare';

export interface TestStreamOptions {
  mode: StreamMode;
  /** Frames per second pushed to every client; 0 pushes only on `broadcast()`. */
  fps?: number;
  /** Listen on this port (for a restart on the same port); 0 picks one. */
  port?: number;
  /** Added to every server timestamp, to play a server whose clock is off. */
  clockSkewMs?: number;
  /** Send `hello` on connect (framed clients). */
  hello?: boolean;
  /** Answer pings. */
  pong?: boolean;
  /**
   * Holds pong `n` (0, 1, … per server) this many ms after stamping it, as a
   * pong queued behind frames in a busy socket would be.
   */
  pongDelayMs?: (n: number) => number;
  /** Frames are stamped as captured this many ms before they are sent (a model's inference time). */
  captureAgeMs?: number;
  width?: number;
  height?: number;
  /** Plain HTTP files to serve by path, e.g. a test page and its bundle. */
  files?: Record<string, { type: string; body: string | Uint8Array }>;
  /** Called for every accepted connection, before hello. */
  onConnection?: (ws: WebSocket, index: number, req: IncomingMessage) => void;
  /**
   * Called for every handshake (numbered from 0, refused ones included);
   * an HTTP status refuses it, as an `authorize` hook or a full server does.
   */
  refuse?: (attempt: number, req: IncomingMessage) => number | false;
}

const jpegs = new Map<string, Promise<Uint8Array>>();

/** A real baseline JPEG made by sharp; cached per size. */
export function testJpeg(width = 64, height = 48): Promise<Uint8Array> {
  const key = `${width}x${height}`;
  let p = jpegs.get(key);
  if (!p) {
    p = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })
      .jpeg({ quality: 80 })
      .toBuffer()
      .then((b) => new Uint8Array(b));
    jpegs.set(key, p);
  }
  return p;
}

/** A small stream server on 127.0.0.1 built from `ws` and the protocol encoders. */
export class TestStreamServer {
  readonly sockets = new Set<WebSocket>();
  /** Parsed text messages from clients, in arrival order. */
  readonly received: ClientMessage[] = [];
  connections = 0;
  /** Pongs answered. */
  pongs = 0;
  /** Handshakes seen, refused ones included. */
  handshakes = 0;
  /** The subprotocols each handshake asked for, in order. */
  readonly askedFor: string[][] = [];
  seq = 0;
  port = 0;
  private http!: Server;
  private wss!: WebSocketServer;
  private timer: ReturnType<typeof setInterval> | null = null;
  private jpeg!: Uint8Array;

  private constructor(
    readonly opts: Required<Omit<TestStreamOptions, 'onConnection' | 'refuse' | 'pongDelayMs'>> &
      Pick<TestStreamOptions, 'onConnection' | 'refuse' | 'pongDelayMs'>,
  ) {}

  static async start(options: TestStreamOptions): Promise<TestStreamServer> {
    const s = new TestStreamServer({
      fps: 0,
      port: 0,
      clockSkewMs: 0,
      hello: true,
      pong: true,
      captureAgeMs: 0,
      width: 64,
      height: 48,
      files: {},
      ...options,
    });
    s.jpeg = await testJpeg(s.opts.width, s.opts.height);
    await s.listen(s.opts.port);
    return s;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws/test/`;
  }

  get jpegBytes(): Uint8Array {
    return this.jpeg;
  }

  now(): number {
    return wallClockMs() + this.opts.clockSkewMs;
  }

  private async listen(port: number): Promise<void> {
    this.http = createServer((req, res) => {
      const file = this.opts.files[new URL(req.url ?? '/', 'http://x').pathname];
      if (!file) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
    });
    const framed = this.opts.mode === 'framed';
    this.wss = new WebSocketServer({
      server: this.http,
      handleProtocols: (protocols) => (framed && protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      verifyClient: (info, done) => {
        const asked = String(info.req.headers['sec-websocket-protocol'] ?? '');
        this.askedFor.push(asked ? asked.split(',').map((p) => p.trim()) : []);
        const attempt = this.handshakes++;
        const status = this.opts.refuse?.(attempt, info.req) ?? false;
        if (status === false) done(true);
        else done(false, status);
      },
    });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req));
    if (port === 0) this.port = await listen(this.http);
    else
      await new Promise<void>((resolve, reject) => {
        this.http.once('error', reject);
        this.http.listen(port, '127.0.0.1', () => resolve());
      });
    if (this.opts.fps > 0) this.timer = setInterval(() => this.broadcast(), 1000 / this.opts.fps);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => {});
    const index = this.connections++;
    this.opts.onConnection?.(ws, index, req);
    if (ws.readyState !== WebSocket.OPEN || ws.protocol !== SUBPROTOCOL) return;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = parseClientMessage(String(data));
      this.received.push(msg);
      if (msg.type === 'ping' && this.opts.pong) {
        const pong = { type: 'pong', id: msg.id, clientTime: msg.clientTime, serverTime: this.now() } as const;
        const delay = this.opts.pongDelayMs?.(this.pongs++) ?? 0;
        if (delay > 0) setTimeout(() => ws.readyState === WebSocket.OPEN && this.sendJson(ws, pong), delay);
        else this.sendJson(ws, pong);
      }
    });
    if (this.opts.hello) {
      const { width, height, fps } = this.opts;
      this.sendJson(ws, {
        type: 'hello',
        version: 1,
        stream: { width, height, fps, codec: 'jpeg', source: 'test' },
        maxFps: null,
        serverTime: this.now(),
      });
    }
  }

  sendJson(ws: WebSocket, msg: ServerMessage | Record<string, unknown>): void {
    ws.send(JSON.stringify(msg));
  }

  /** The frame message for `seq` as framed clients receive it. */
  frameMessage(seq: number, metrics?: FrameMetrics): Uint8Array {
    const t = this.now();
    const { width, height, captureAgeMs } = this.opts;
    return encodeFrameMessage({ seq, captureTime: t - captureAgeMs, encodedTime: t, width, height, codec: 'jpeg' }, this.jpeg, encodeFrameMetrics(metrics));
  }

  /** Sends frame `seq` to one client in the form it asked for. */
  sendFrame(ws: WebSocket, seq: number, metrics?: FrameMetrics): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(ws.protocol === SUBPROTOCOL ? this.frameMessage(seq, metrics) : this.jpeg);
  }

  /** Sends the next frame to every client. */
  broadcast(metrics: FrameMetrics = { inferenceMs: 12.5 }): void {
    this.seq++;
    for (const ws of this.sockets) this.sendFrame(ws, this.seq, metrics);
  }

  /** Sends raw bytes or text to every client. */
  sendRaw(data: Uint8Array | string): void {
    for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(data);
  }

  /** Stops listening and drops every connection abruptly (close code 1006 at the client). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closeServer(this.http);
  }

  /** Starts listening again on the same port, like a restarted process. */
  async restart(): Promise<void> {
    await this.listen(this.port);
  }
}

/** A port nothing listens on: bound once, then released. */
export async function freePort(): Promise<number> {
  const http = createServer();
  const port = await listen(http);
  await closeServer(http);
  return port;
}
