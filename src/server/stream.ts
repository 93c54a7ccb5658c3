import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { EventEmitter } from 'eventemitter3';
import { WebSocketServer, type WebSocket } from 'ws';
import { FrameStreamError, SUBPROTOCOL, wallClockMs, type FrameMetrics } from '../protocol/index.js';
import { MemoryChannel, type FrameChannel } from './channel/channel.js';
import { ClusterLink } from './cluster/link.js';
import { attachRoute, pathnameOf } from './http/host.js';
import { serveSnapshot } from './http/snapshot.js';
import { UpgradeGate } from './http/upgrade.js';
import { openIngest, type Ingest } from './ingest/index.js';
import { assertFrameSource, normalizePath, resolveOptions, type FrameStreamServerOptions, type ResolvedOptions } from './options.js';
import { Demand } from './demand.js';
import { Producer } from './producer.js';
import { openSessions } from './sessions/index.js';
import type { SessionManager } from './sessions/manager.js';
import { helloMessage, streamMetrics, streamStats } from './stream-info.js';
import type { FrameSource, FrameStreamServer, FrameStreamServerEvents, PushFrame, ServerStats, ViewerHandle } from './types.js';
import { Audience } from './viewers/audience.js';
import { Housekeeping, type SharedMetrics } from './viewers/housekeeping.js';
import { MessageRegistry, registerBuiltinKinds } from './viewers/messages.js';
import { ViewerFaults } from './viewers/faults.js';
import { Viewer } from './viewers/viewer.js';

// A viewer that does not finish the closing handshake is cut off after this.
const CLOSE_GRACE_MS = 2000;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The implementation behind {@link createFrameStreamServer}: it wires the
 * parts together and holds none of their logic. The producer makes frames
 * and publishes them on the channel; the audience (subscribed to the
 * channel) fans them out; the gate admits viewers; the message registry
 * reads what they send; housekeeping pings them and sends metrics.
 */
export class FrameStreamServerImpl extends EventEmitter<FrameStreamServerEvents> implements FrameStreamServer {
  readonly path: string;
  readonly snapshotPath: string | false;
  private readonly o: ResolvedOptions;
  private readonly wss: WebSocketServer;
  private readonly channel: FrameChannel;
  private readonly link: ClusterLink | undefined;
  private readonly producer: Producer;
  private readonly audience: Audience;
  private readonly gate: UpgradeGate;
  private readonly messages: MessageRegistry;
  private readonly faults: ViewerFaults;
  private readonly housekeeping: Housekeeping;
  private readonly demand: Demand;
  private readonly detach: () => void;
  private readonly ingest: Ingest | undefined;
  private readonly sessions: SessionManager | undefined;
  private nextId = 1;
  private closing: Promise<void> | undefined;

  constructor(options: FrameStreamServerOptions) {
    super();
    this.o = resolveOptions(options);
    this.path = normalizePath(this.o.path);
    this.snapshotPath = this.o.snapshotPath === false ? false : normalizePath(this.o.snapshotPath);
    const reportError = (err: FrameStreamError) => this.reportError(err);
    this.faults = new ViewerFaults((err, viewer) => this.safeEmit('viewerError', err, viewer.handle));
    this.messages = registerBuiltinKinds(new MessageRegistry(this.faults.report, this.o.controlRateLimit), {
      controlRate: this.o.controlRateLimit,
      controlMaxBytes: this.o.maxPayload,
      deliverControl: (data, viewer) => this.deliverControl(data, viewer.handle),
    });
    // Sessions add message kinds (input frames) the socket's size limit must allow.
    this.sessions =
      this.o.sessions &&
      openSessions({
        settings: this.o.sessions,
        limits: this.o,
        room: { ...this.o, error: reportError },
        refuse: (viewer, err) => {
          viewer.sendMessage({ type: 'error', code: err.code, message: err.message });
          this.faults.report(viewer, err);
        },
        messages: this.messages,
        paramsMaxBytes: this.o.maxPayload,
      });
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false, // JPEG does not compress; deflate would only burn CPU per viewer
      maxPayload: this.messages.maxPayload,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.audience = new Audience(1000 / this.o.fps, reportError);
    this.link =
      this.o.hub &&
      new ClusterLink({
        hub: this.o.hub,
        name: this.path,
        local: () => ({ viewers: this.audience.size, producing: this.demand?.producingHere ?? false }),
        changed: () => this.demand?.update(),
        control: (data, viewer) => this.emitControl(data, viewer),
        broadcast: (text) => this.audience.broadcastText(text),
        viewer: (id) => [...this.audience].find((v) => v.info.id === id)?.handle,
        served: this.sessions?.served,
        sessionInfo: this.o.ingest?.sessionInfo,
        reportError,
      });
    this.channel = this.link?.channel ?? new MemoryChannel();
    this.producer = new Producer({
      ...this.o,
      publish: (frame) => {
        this.channel.publish(frame);
        this.safeEmit('frame', frame.meta);
      },
      error: reportError,
    });
    this.ingest =
      this.o.ingest &&
      openIngest({
        server: this.o.server as HttpServer,
        settings: this.o.ingest,
        limits: this.o,
        producer: this.producer,
        stream: () => ({ path: this.path, width: this.o.width, height: this.o.height, fps: 0 }),
        watching: () => this.watching,
        heartbeatInterval: this.o.heartbeatInterval,
        sessions: this.sessions?.served,
        // Sessions served by producers stay on their viewers' nodes, so each node may have its own.
        busyElsewhere: this.sessions ? undefined : () => this.link?.producedElsewhere ?? false,
        online: (online) => {
          this.safeEmit('producer', online);
          this.demand?.update(); // the other nodes learn where frames come from
        },
        reportError,
      });
    if (!this.ingest && !this.sessions) this.producer.setSource(this.o.source);
    this.housekeeping = new Housekeeping(this.audience, () => this.metricsFor(), this.o.heartbeatInterval, this.faults.report);
    this.demand = new Demand({
      audience: this.audience,
      channel: this.channel,
      producer: this.producer,
      housekeeping: this.housekeeping,
      link: this.link,
      ingest: this.ingest,
      interactive: this.sessions !== undefined,
      alwaysOn: this.o.alwaysOn,
      closing: () => this.closing !== undefined,
      watchingChanged: (watching) => this.safeEmit('watching', watching),
    });
    this.gate = new UpgradeGate({
      options: this.o,
      wss: this.wss,
      viewerCount: () => this.audience.size,
      closing: () => this.closing !== undefined,
      accept: (ws, req, identity) => this.accept(ws, req, identity),
      reportError,
    });
    try {
      this.detach = attachRoute(this.o.server as HttpServer, {
        paths: { ws: this.path, snapshot: this.snapshotPath },
        hostClosing: () => void this.close(),
        claimsUpgrade: (pathname) => normalizePath(pathname) === this.path,
        upgrade: (req, socket, head) => this.gate.handle(req, socket, head),
        request: (req, res) => this.handleRequest(req, res),
      });
    } catch (err) {
      this.ingest?.endpoint.close();
      throw err;
    }
    this.demand.update();
  }

  get viewerCount(): number {
    return this.audience.size;
  }

  get clientCount(): number {
    return this.audience.size;
  }

  /** Someone watches: here, or with a hub on any node. */
  get watching(): boolean {
    return this.demand.watching;
  }

  push(frame: PushFrame, metrics?: FrameMetrics): void {
    if (this.sessions) throw new TypeError('An interactive stream has no frames of its own: push to a session with `session.push()`');
    this.producer.push(frame, metrics);
  }

  setSource(source: FrameSource): void {
    if (this.ingest) throw new TypeError("A stream with `ingest` takes its frames from its producer; `setSource()` cannot change that");
    if (this.sessions) throw new TypeError('An interactive stream has no source of its own: each session makes its frames');
    assertFrameSource(source);
    this.producer.setSource(source);
  }

  broadcast(data: unknown): void {
    const text = JSON.stringify({ type: 'control', data });
    this.audience.broadcastText(text);
    this.link?.broadcast(text);
  }

  getStats(): ServerStats {
    return streamStats({
      producer: this.producer,
      audience: this.audience,
      latest: this.channel.latest,
      rejected: this.gate.rejected,
      viewerErrors: this.faults.count,
      ingest: this.ingest,
      sessions: this.sessions,
      cluster: this.link,
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.snapshotPath === false || this.closing) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') return false;
    if (normalizePath(pathnameOf(req.url)) !== this.snapshotPath) return false;
    // A node nobody watches through receives no frames: ask the hub for the last one.
    const frame = async () => this.producer.snapshot(this.channel.latest ?? (await this.link?.channel.fetchLatest()));
    void serveSnapshot({ options: this.o, frame, reportError: (e) => this.reportError(e) }, req, res);
    return true;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.detach();
    this.ingest?.endpoint.close();
    this.sessions?.close();
    this.producer.close();
    this.housekeeping.stop();
    const open = [...this.audience].map(
      (v) =>
        new Promise<void>((resolve) => {
          if (v.ws.readyState === 3) return resolve();
          v.ws.once('close', () => resolve());
          v.ws.close(1001, 'Server closing');
        }),
    );
    const grace = setTimeout(() => {
      for (const v of this.audience) v.ws.terminate();
    }, CLOSE_GRACE_MS);
    await Promise.all(open);
    clearTimeout(grace);
    this.demand.update(); // closing: lets go of the channel
    this.link?.close();
    this.channel.close();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket, req: IncomingMessage, identity: unknown): void {
    const viewer = new Viewer(
      ws,
      {
        id: this.nextId++,
        protocol: ws.protocol === SUBPROTOCOL ? SUBPROTOCOL : null,
        remoteAddress: req.socket.remoteAddress,
        url: req.url ?? '',
        maxFps: null,
        connectedAt: wallClockMs(),
      },
      identity,
    );
    ws.on('error', (cause: Error & { code?: string }) => {
      const tooLarge = cause.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      const code = tooLarge ? 'ERR_CONTROL_TOO_LARGE' : 'ERR_SOCKET';
      this.faults.report(viewer, new FrameStreamError(code, `Viewer ${viewer.info.id}: ${cause.message}`, { cause }));
    });
    if (this.closing) return void ws.close(1001, 'Server closing');
    this.audience.add(viewer);
    ws.on('pong', () => (viewer.alive = true));
    ws.on('message', (data, isBinary) => this.messages.dispatch(viewer, data, isBinary));
    ws.on('close', (code) => {
      this.audience.delete(viewer);
      this.sessions?.leave(viewer, code);
      this.faults.forget(viewer);
      this.safeEmit('disconnect', { ...viewer.handle, code, toJSON: () => ({ ...viewer.info, code }) });
      this.demand.update();
    });
    const latest = this.channel.latest;
    viewer.sendMessage(helloMessage(this.o, this.producer, latest, this.sessions !== undefined));
    if (this.sessions) {
      // A session is a conversation: a plain client could only watch silently.
      if (!viewer.framestream) ws.close(1008, 'This stream is interactive: connect with framestream.v1');
      else void this.sessions.join(viewer, req);
    } else if (!this.producer.timed) {
      // A pushed or model-driven stream may not produce again for a while:
      // show the newcomer the last frame right away. The built-in sources
      // produce within a frame interval, and their last frame may be stale.
      if (latest) viewer.offer(latest, performance.now(), 1000 / this.o.fps);
      else void this.offerHubLatest(viewer);
    }
    this.safeEmit('connection', viewer.handle);
    this.demand.update();
  }

  // The first viewer of a relay node: the hub keeps the cluster's last frame.
  private async offerHubLatest(viewer: Viewer): Promise<void> {
    const frame = await this.link?.channel.fetchLatest();
    // Unless a live frame got there first.
    if (frame && viewer.sent === 0 && viewer.ws.readyState === 1) viewer.offer(frame, performance.now(), 1000 / this.o.fps);
  }

  // A session's viewer sees its session's figures; everyone else the stream's.
  private metricsFor(): (viewer: Viewer) => SharedMetrics {
    const shared = streamMetrics(this.producer, this.audience, this.channel.latest, this.demand.ingestStatus);
    const sessions = this.sessions;
    if (!sessions) return () => shared;
    return (viewer) => {
      const s = sessions.sessionOf(viewer);
      // A producer-served session is offline while its producer is, as a broadcast's viewers see it.
      return s ? streamMetrics(s.producer, s.audience, s.channel.latest, sessions.served && this.ingest?.source) : shared;
    };
  }

  private deliverControl(data: unknown, viewer: ViewerHandle): void {
    // With a hub, the node making the frames hears the viewers of all nodes.
    if (this.link?.forwardControl(data, viewer)) return;
    this.emitControl(data, viewer);
  }

  private emitControl(data: unknown, viewer: ViewerHandle): void {
    this.safeEmit('control', data, viewer);
    const hook = this.o.onControl;
    if (!hook) return;
    Promise.resolve()
      .then(() => hook(data, viewer))
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
