import { EventEmitter } from 'eventemitter3';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { ClientSnapshot, ClientStats, ClientStatus, ConnectionFailure } from '../../src/client/index.js';
import { snapshotMetrics, type InputFrameSource, type SessionInfo, type StreamMetrics } from '../../src/react/index.js';
import { startSyntheticFrames } from './syntheticFrames.js';

/** How a {@link FakeStream} behaves. */
export interface FakeStreamOptions {
  /** Stay in `connecting` after connect() instead of moving on. @default false */
  hold?: boolean;
  /** Frames handed over at once per tick. @default 1 */
  burst?: number;
  /** Frame size in pixels. @default 640×360 */
  width?: number;
  height?: number;
  /** Why the connection failed, for a fake that starts in `error`. @default an unreachable URL */
  failure?: ConnectionFailure;
  /**
   * A stream fed by an external producer that is not there: `'waiting'`
   * connects and shows no frame (no producer came yet); `'offline'` shows
   * frames for `framesBeforeOffline` ms, then the producer goes away and the
   * last frame stays. @default undefined (a source inside the server)
   */
  producer?: 'waiting' | 'offline';
  /** How long the producer of `producer: 'offline'` sends before it goes, ms. @default 1500 */
  framesBeforeOffline?: number;
  /**
   * An interactive stream: after connecting the viewer waits `queued` (2nd
   * in line), is `active` in a session of its own (2 minutes, frames with a
   * round trip) or finds its session `ended` (time limit reached).
   * @default undefined (a broadcast stream)
   */
  session?: 'queued' | 'active' | 'ended';
}

/** Why the fake's session ended, as the server words a time limit. */
export const SESSION_TIME_LIMIT = 'Session time limit (120 s) reached';


/** The stand-in's source rate, like the playground's streams. */
const SOURCE_FPS = 30;

/** What the real client reports when nothing answers at its URL (see src/client/failure.ts). */
export const UNREACHABLE: ConnectionFailure = {
  code: 'ERR_UNREACHABLE',
  message:
    'Could not connect to ws://localhost:8080/ws/test/: nothing answered there, or the server refused the WebSocket (check the host, port and path)',
  url: 'ws://localhost:8080/ws/test/',
  closeCode: 1006,
};

/**
 * A stand-in for FrameStreamClient in stories, so every state can be shown
 * without a server: it has the same subscribe/getSnapshot surface, emits
 * 'frame' events with real JPEGs drawn in the browser, and walks
 * connecting → connected when asked to connect. Stories only; tests use the
 * real client against a real server.
 */
export class FakeStream extends EventEmitter<{ frame: (frame: { data: Uint8Array }) => void }> {
  private snapshot: ClientSnapshot;
  private subscribers = new Set<() => void>();
  private stopFrames: (() => void) | null = null;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private maxFps: number | null = null;
  private frameTimes: number[] = [];
  private received = 0;
  private bytes = 0;
  private capped = 0;
  /** Input frames the camera handed over, and the last params, for stories to show. */
  framesSent = 0;
  params: Record<string, unknown> = {};

  constructor(initial: ClientStatus, private readonly options: FakeStreamOptions = {}) {
    super();
    this.snapshot = makeSnapshot(initial === 'connected' ? 'connecting' : initial, options.failure ?? UNREACHABLE);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  };

  getSnapshot = (): ClientSnapshot => this.snapshot;

  connect = (): void => {
    this.setStatus('connecting');
    if (this.options.hold) return;
    this.later(600, () => {
      if (this.options.session === 'queued') return this.setSession('queued', { state: 'queued', position: 2, id: null, expiresAt: null, spectator: false, reason: null });
      if (this.options.session === 'ended') {
        return this.setSession('error', { state: 'ended', position: null, id: 'k3f9', expiresAt: null, spectator: false, reason: SESSION_TIME_LIMIT });
      }
      this.setStatus('connected');
      if (this.options.session === 'active') {
        this.setSession('connected', { state: 'active', position: null, id: 'k3f9', expiresAt: Date.now() + 120_000, spectator: false, reason: null });
      }
      if (this.options.producer === 'waiting') return this.goOffline(Date.now() - 42_000);
      this.startFrames();
      if (this.options.producer === 'offline') this.later(this.options.framesBeforeOffline ?? 1500, () => this.goOffline(Date.now()));
    });
  };

  disconnect = (): void => {
    this.stop();
    this.setStatus('disconnected');
  };

  /** Like the client's: counts the frame and lets go of it. */
  sendFrame = (frame: InputFrameSource): 'sent' | false => {
    if ('close' in frame && typeof frame.close === 'function') frame.close();
    if (this.snapshot.session?.state !== 'active') return false;
    this.framesSent++;
    return 'sent';
  };

  setParams = (params: Record<string, unknown>): void => {
    this.params = params;
  };

  setMaxFps = (fps: number | null): void => {
    this.maxFps = fps;
    if (this.stopFrames) this.startFrames();
  };

  /** Stops frames and timers; the fake can be connected again afterwards. */
  stop(): void {
    this.stopFrames?.();
    this.stopFrames = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private startFrames(): void {
    this.stopFrames?.();
    const fps = Math.min(SOURCE_FPS, this.maxFps ?? SOURCE_FPS);
    this.stopFrames = startSyntheticFrames(
      (data) => {
        this.received++;
        this.bytes += data.byteLength;
        this.frameTimes.push(performance.now());
        this.emit('frame', { data });
      },
      { fps, burst: this.options.burst ?? 1, width: this.options.width ?? 640, height: this.options.height ?? 360 },
    );
    const meter = setInterval(() => this.measure(), 1000);
    const stopGenerator = this.stopFrames;
    this.stopFrames = () => {
      stopGenerator();
      clearInterval(meter);
    };
  }

  // Once a second, like the real client: a new snapshot only when figures change.
  private measure(): void {
    const now = performance.now();
    this.frameTimes = this.frameTimes.filter((t) => now - t <= 1000);
    const fps = this.frameTimes.length;
    // The frames a cap leaves out are counted apart from frames lost, as the server does.
    if (this.maxFps !== null && this.maxFps < SOURCE_FPS) this.capped += SOURCE_FPS - this.maxFps;
    const p50 = 18 + Math.random() * 6;
    const roundTrip = this.options.session === 'active' ? { p50: 62 + Math.random() * 8, p95: 80 + Math.random() * 10 } : null;
    const stats: ClientStats = {
      ...this.snapshot.stats,
      roundTrip,
      framesReceived: this.received,
      framesCapped: this.capped,
      bytesReceived: this.bytes,
      fps,
    };
    this.replace({
      ...this.snapshot,
      fps,
      latency: { p50, p95: p50 + 9 + Math.random() * 6 },
      metrics: {
        fps: SOURCE_FPS,
        viewers: 1,
        skipped: 0,
        capped: this.capped,
        inferenceMs: 38 + Math.random() * 8,
        frameBytes: this.bytes / Math.max(1, this.received),
        ...(this.options.producer && { sourceOnline: 1 }),
      },
      stats,
      source: this.options.producer ? { online: true, offlineSince: null } : null,
    });
  }

  // Like a stream whose producer left: no more frames, the last one stays,
  // and the metrics say since when (once a second, as the server's do).
  private goOffline(since: number): void {
    this.stopFrames?.();
    this.stopFrames = null;
    this.frameTimes = [];
    this.replace({
      ...this.snapshot,
      fps: 0,
      latency: null,
      metrics: { fps: 0, viewers: 1, skipped: 0, sourceOnline: 0, sourceOfflineSince: since },
      stats: { ...this.snapshot.stats, framesReceived: this.received, bytesReceived: this.bytes, fps: 0 },
      source: { online: false, offlineSince: since },
    });
  }

  // Like a session message from the server: the status and the session change together.
  private setSession(status: ClientStatus, session: SessionInfo): void {
    this.setStatus(status);
    const failure: ConnectionFailure | null =
      session.state === 'ended' ? { code: 'ERR_SESSION_TIMEOUT', message: session.reason ?? '', url: UNREACHABLE.url, closeCode: 4408 } : null;
    this.replace({ ...this.snapshot, session, failure: failure ?? this.snapshot.failure });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  // Like the real client: live figures go when the connection does, and a
  // failure stays shown until a connection succeeds.
  private setStatus(status: ClientStatus): void {
    const live = status === 'connected';
    this.replace({
      ...this.snapshot,
      status,
      fps: live ? this.snapshot.fps : 0,
      latency: live ? this.snapshot.latency : null,
      metrics: live ? this.snapshot.metrics : null,
      failure: live ? null : this.snapshot.failure,
      source: live ? this.snapshot.source : null,
      stats: { ...this.snapshot.stats, status },
    });
  }

  private replace(next: ClientSnapshot): void {
    this.snapshot = next;
    for (const l of this.subscribers) l();
  }
}

function makeSnapshot(status: ClientStatus, failure: ConnectionFailure): ClientSnapshot {
  return {
    status,
    url: failure?.url ?? null,
    fps: 0,
    latency: null,
    metrics: null,
    stats: {
      status,
      framesReceived: 0,
      framesDropped: 0,
      framesCapped: 0,
      bytesReceived: 0,
      fps: 0,
      latency: null,
      clockOffsetMs: null,
      clockOffsetErrorMs: null,
      reconnectAttempt: status === 'reconnecting' ? 3 : 0,
      stream: null,
      framed: null,
      roundTrip: null,
      inputInFlight: 0,
    },
    failure: status === 'error' ? failure : null,
    source: null,
    session: null,
  };
}

/** The same shape `useFrameStream` returns, over a {@link FakeStream}. */
export function useFakeStream(initial: ClientStatus, options: FakeStreamOptions = {}) {
  const [client] = useState(() => new FakeStream(initial, options));
  const [maxFps, setMaxFpsState] = useState<number | null>(null);
  // Started in an effect, not in render, so a remount starts it cleanly.
  useEffect(() => {
    if (initial === 'connected' || options.session) client.connect();
    return () => client.stop();
  }, [client, initial]);
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);
  const metrics: StreamMetrics = useMemo(() => snapshotMetrics(snapshot), [snapshot]);
  return {
    client,
    snapshot,
    status: snapshot.status,
    metrics,
    connect: client.connect,
    disconnect: client.disconnect,
    maxFps,
    setMaxFps: (fps: number | null) => {
      setMaxFpsState(fps);
      client.setMaxFps(fps);
    },
  };
}
