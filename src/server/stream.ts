import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { WebSocketServer, type WebSocket } from 'ws';
import { FrameStreamError, SUBPROTOCOL, wallClockMs, type FrameMetrics } from '../protocol/index.js';
import { handleClientMessage, type ControlContext } from './control.js';
import { Housekeeping } from './housekeeping.js';
import { checkAccess, refuseUpgrade } from './gate.js';
import { attachRoute, pathnameOf } from './host.js';
import { assertFrameSource, normalizePath, resolveOptions, type FrameStreamServerOptions, type ResolvedOptions } from './options.js';
import { Producer, type EncodedFrame } from './producer.js';
import { serveSnapshot } from './snapshot.js';
import type { FrameSource, FrameStreamServer, FrameStreamServerEvents, PushFrame, ServerStats, ViewerInfo } from './types.js';
import { Viewer } from './viewer.js';

// A viewer that does not finish the closing handshake is cut off after this.
const CLOSE_GRACE_MS = 2000;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The implementation behind {@link createFrameStreamServer}. */
export class FrameStreamServerImpl extends EventEmitter<FrameStreamServerEvents> implements FrameStreamServer {
  readonly path: string;
  readonly snapshotPath: string | false;
  private readonly o: ResolvedOptions;
  private readonly wss: WebSocketServer;
  private readonly producer: Producer;
  private readonly viewers = new Set<Viewer>();
  private readonly detach: () => void;
  private readonly control: ControlContext;
  private nextId = 1;
  private pendingUpgrades = 0;
  private rejected = 0;
  private sentByGone = 0;
  private skippedByGone = 0;
  private readonly housekeeping: Housekeeping;
  private closing: Promise<void> | undefined;

  constructor(options: FrameStreamServerOptions) {
    super();
    this.o = resolveOptions(options);
    this.path = normalizePath(this.o.path);
    this.snapshotPath = this.o.snapshotPath === false ? false : normalizePath(this.o.snapshotPath);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false, // JPEG does not compress; deflate would only burn CPU per viewer
      maxPayload: this.o.maxPayload,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.producer = new Producer({
      ...this.o,
      publish: (frame) => this.publish(frame),
      error: (err) => this.reportError(err),
    });
    this.producer.setSource(this.o.source);
    this.housekeeping = new Housekeeping(this.viewers, this.producer.pipeline, this.o.heartbeatInterval, (err) =>
      this.reportError(err),
    );
    this.control = {
      reportError: (err) => this.reportError(err),
      deliverControl: (data, client) => this.deliverControl(data, client),
    };
    this.detach = attachRoute(this.o.server as HttpServer, {
      claimsUpgrade: (pathname) => normalizePath(pathname) === this.path,
      upgrade: (req, socket, head) => this.upgrade(req, socket, head),
      request: (req, res) => this.handleRequest(req, res),
    });
    this.updateDemand();
  }

  get clientCount(): number {
    return this.viewers.size;
  }

  push(frame: PushFrame, metrics?: FrameMetrics): void {
    this.producer.push(frame, metrics);
  }

  setSource(source: FrameSource): void {
    assertFrameSource(source);
    this.producer.setSource(source);
  }

  broadcast(data: unknown): void {
    const text = JSON.stringify({ type: 'control', data });
    for (const v of this.viewers) if (v.framestream && v.ws.readyState === 1) v.ws.send(text);
  }

  getStats(): ServerStats {
    let sent = this.sentByGone;
    let skipped = this.skippedByGone;
    let framestream = 0;
    let maxBuffered = 0;
    for (const v of this.viewers) {
      sent += v.sent;
      skipped += v.skipped;
      if (v.framestream) framestream++;
      maxBuffered = Math.max(maxBuffered, v.buffered);
    }
    const p = this.producer;
    const pl = p.pipeline;
    return {
      viewers: this.viewers.size,
      framestreamViewers: framestream,
      producing: p.producing,
      source: p.sourceName,
      framesProduced: pl.produced,
      framesSent: sent,
      framesSkipped: skipped,
      framesDropped: p.dropped,
      fps: pl.rate.perSecond(),
      encodeMs: pl.encodeMs.median(),
      inferenceMs: pl.inferenceMs.median(),
      lastFrameBytes: pl.latest?.payload.byteLength ?? 0,
      maxBufferedBytes: maxBuffered,
      rejectedConnections: this.rejected,
    };
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.snapshotPath === false || this.closing) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return false;
    if (normalizePath(pathnameOf(req.url)) !== this.snapshotPath) return false;
    void serveSnapshot(
      { options: this.o, frame: () => this.producer.snapshot(), reportError: (e) => this.reportError(e) },
      req,
      res,
    );
    return true;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.detach();
    this.producer.close();
    this.housekeeping.stop();
    const open = [...this.viewers].map(
      (v) =>
        new Promise<void>((resolve) => {
          if (v.ws.readyState === 3) return resolve();
          v.ws.once('close', () => resolve());
          v.ws.close(1001, 'Server closing');
        }),
    );
    const grace = setTimeout(() => {
      for (const v of this.viewers) v.ws.terminate();
    }, CLOSE_GRACE_MS);
    await Promise.all(open);
    clearTimeout(grace);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws owns the socket, a reset must not become an uncaught error.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    if (this.closing || this.viewers.size + this.pendingUpgrades >= this.o.maxClients) {
      this.rejected++;
      if (!this.closing) {
        this.reportError(new FrameStreamError('ERR_TOO_MANY_CLIENTS', `Refused a viewer: \`maxClients\` (${this.o.maxClients}) reached`));
      }
      refuseUpgrade(socket, 503, { 'Retry-After': '5' });
      return;
    }
    this.pendingUpgrades++;
    void checkAccess(req, this.o.allowedOrigins, this.o.authorize, this.o.handshakeTimeout).then((verdict) => {
      this.pendingUpgrades--;
      if (!verdict.ok) {
        this.rejected++;
        if (verdict.error) this.reportError(verdict.error);
        refuseUpgrade(socket, verdict.status);
        return;
      }
      if (this.closing || socket.destroyed) {
        socket.destroy();
        return;
      }
      socket.off('error', onSocketError);
      try {
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
      } catch (cause) {
        this.reportError(new FrameStreamError('ERR_SOCKET', `WebSocket handshake failed: ${errorText(cause)}`, { cause }));
        socket.destroy();
      }
    });
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const info: ViewerInfo = {
      id: this.nextId++,
      protocol: ws.protocol === SUBPROTOCOL ? SUBPROTOCOL : null,
      remoteAddress: req.socket.remoteAddress,
      url: req.url ?? '',
      maxFps: null,
      connectedAt: wallClockMs(),
    };
    const viewer = new Viewer(ws, info, this.o.controlRateLimit);
    ws.on('error', (cause: Error & { code?: string }) => {
      const tooLarge = cause.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      this.reportError(
        new FrameStreamError(tooLarge ? 'ERR_CONTROL_TOO_LARGE' : 'ERR_SOCKET', `Viewer ${info.id}: ${cause.message}`, { cause }),
      );
    });
    if (this.closing) {
      ws.close(1001, 'Server closing');
      return;
    }
    this.viewers.add(viewer);
    ws.on('pong', () => (viewer.alive = true));
    ws.on('message', (data, isBinary) => handleClientMessage(this.control, viewer, data, isBinary));
    ws.on('close', (code) => {
      this.viewers.delete(viewer);
      this.sentByGone += viewer.sent;
      this.skippedByGone += viewer.skipped;
      this.safeEmit('disconnect', { ...viewer.info, code });
      this.updateDemand();
    });
    viewer.sendMessage({
      type: 'hello',
      version: 1,
      stream: {
        width: this.producer.pipeline.latest?.meta.width ?? this.o.width,
        height: this.producer.pipeline.latest?.meta.height ?? this.o.height,
        fps: this.o.fps,
        codec: 'jpeg',
        quality: this.o.quality,
        source: this.producer.sourceName,
      },
      maxFps: null,
      serverTime: wallClockMs(),
    });
    // A pushed or model-driven stream may not produce again for a while:
    // show the newcomer the last frame right away. The built-in sources
    // produce within a frame interval, and their last frame may be stale.
    const latest = this.producer.pipeline.latest;
    const timed = this.producer.sourceName === 'noise' || this.producer.sourceName === 'pattern';
    if (latest && !timed) viewer.offer(latest, performance.now(), 1000 / this.o.fps);
    this.safeEmit('connection', { ...info });
    this.updateDemand();
  }

  private publish(frame: EncodedFrame): void {
    const now = performance.now();
    const interval = 1000 / this.o.fps;
    for (const v of this.viewers) {
      try {
        v.offer(frame, now, interval);
      } catch (cause) {
        this.reportError(new FrameStreamError('ERR_SOCKET', `Sending to viewer ${v.info.id} failed: ${errorText(cause)}`, { cause }));
      }
    }
    this.safeEmit('frame', frame.meta);
  }

  private updateDemand(): void {
    const watched = this.viewers.size > 0;
    this.producer.setDemand(!this.closing && (this.o.alwaysOn || watched));
    if (watched && !this.closing) this.housekeeping.start();
    else this.housekeeping.stop();
  }

  private deliverControl(data: unknown, client: ViewerInfo): void {
    this.safeEmit('control', data, client);
    const hook = this.o.onControl;
    if (!hook) return;
    Promise.resolve()
      .then(() => hook(data, client))
      .catch((cause: unknown) =>
        this.reportError(new FrameStreamError('ERR_HOOK_FAILED', `\`onControl\` threw: ${errorText(cause)}`, { cause })),
      );
  }

  private reportError(err: FrameStreamError): void {
    try {
      this.emit('error', err);
    } catch {
      // An `error` listener that throws has nowhere left to report to.
    }
  }

  // A throwing listener is the app's bug, but it must not break delivery to
  // the other viewers or unwind into ws/sharp callbacks.
  private safeEmit<E extends Exclude<keyof FrameStreamServerEvents, 'error'>>(
    event: E,
    ...args: Parameters<FrameStreamServerEvents[E]>
  ): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (cause) {
      this.reportError(new FrameStreamError('ERR_HOOK_FAILED', `A \`${event}\` listener threw: ${errorText(cause)}`, { cause }));
    }
  }
}
