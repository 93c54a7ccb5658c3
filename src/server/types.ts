import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventEmitter } from 'eventemitter3';
import type { FrameMeta, FrameMetrics, FrameStreamError } from '../protocol/index.js';

/**
 * Raw pixels, row-major, channels interleaved. `Uint8Array` and
 * `Uint8ClampedArray` hold 0-255; `Float32Array` holds 0-1 and is scaled to
 * 0-255 and clamped, the way NumPy pipelines usually hand images over.
 */
export interface RawFrame {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  /** 1 = greyscale, 3 = RGB, 4 = RGBA (alpha is dropped by JPEG). */
  channels: 1 | 3 | 4;
}

/**
 * One frame handed to the server: encoded JPEG bytes (sent as they are, never
 * re-encoded) or raw pixels (encoded once with sharp, off the event loop).
 */
export type PushFrame = Uint8Array | RawFrame;

/** What an async-iterable source yields: a frame, optionally with its metrics. */
export type SourceFrame = PushFrame | { frame: PushFrame; metrics?: FrameMetrics };

/**
 * Where frames come from.
 * - `'noise'`: a fresh random RGB image every frame.
 * - `'pattern'`: a moving test pattern with a frame counter, to make motion and latency visible.
 * - `'push'`: only what the app passes to {@link FrameStreamServer.push}.
 * - an async iterable, pulled at the stream's pace, or a function returning one
 *   (called again each time production restarts, so a generator can be re-run).
 */
export type FrameSource =
  | 'noise'
  | 'pattern'
  | 'push'
  | AsyncIterable<SourceFrame>
  | (() => AsyncIterable<SourceFrame>);

/** What the server knows about one connected viewer. */
export interface ViewerInfo {
  /** Unique per server handle, increasing. */
  readonly id: number;
  /** `'framestream.v1'` for framestream clients, `null` for plain WebSocket clients (bare JPEG frames). */
  readonly protocol: string | null;
  readonly remoteAddress: string | undefined;
  /** The request URL of the upgrade, with its query string. */
  readonly url: string;
  /** The per-connection FPS cap the viewer asked for, `null` for none. */
  readonly maxFps: number | null;
  /** Server wall clock, ms since the epoch. */
  readonly connectedAt: number;
  /**
   * With a `hub`: the id of the node the viewer is connected to, on handles
   * of viewers of other nodes whose control messages were routed here.
   */
  readonly node?: string;
}

/**
 * A connected viewer, as app code gets it in events: its {@link ViewerInfo}
 * (live, not a copy), who `authorize` said it is, and a way to answer it.
 */
export interface ViewerHandle extends ViewerInfo {
  /** What `authorize` returned for this viewer when it returned an object; `undefined` otherwise. */
  readonly identity: unknown;
  /** Whether its connection is still open. */
  readonly connected: boolean;
  /**
   * Sends `{ type: 'control', data }` to this viewer alone (a reply to its
   * control message, say). Returns `false` when it was not sent: a plain
   * WebSocket viewer, a closed connection, or one too far behind to queue more.
   */
  send(data: unknown): boolean;
  /** Closes this viewer's connection (`code` 1000 or 4000-4999). */
  close(code?: number, reason?: string): void;
  /** Its {@link ViewerInfo} as a plain object (for logs and `JSON.stringify`). */
  toJSON(): ViewerInfo;
}

/** One upstream frame from a session's viewer (its camera), already checked. */
export interface InputFrame {
  /** The client's sequence number for it. */
  readonly seq: number;
  /** When the client captured it, client wall clock (ms since the epoch). */
  readonly captureTime: number;
  /** When it arrived, server wall clock. */
  readonly receivedTime: number;
  readonly width: number;
  readonly height: number;
  readonly codec: 'jpeg';
  /** One complete JPEG file. */
  readonly data: Uint8Array;
}

/** Events of a {@link Session}. */
export interface SessionEvents {
  /** The viewer sent new parameters (also readable as `session.params`). */
  params: (params: Readonly<Record<string, unknown>>) => void;
  /** The session ended; `session.signal` is aborted at the same moment. */
  end: (reason: string) => void;
}

/**
 * One viewer's private session on an interactive stream: what the model
 * code needs (docs/sessions.md).
 */
export interface Session extends EventEmitter<SessionEvents> {
  /** Public id, what spectators name; not a secret. */
  readonly id: string;
  /** The viewer now attached (a new handle after a resume), `undefined` while it is away. */
  readonly viewer: ViewerHandle | undefined;
  /** What `authorize` returned for the viewer who started the session. */
  readonly identity: unknown;
  /** The latest parameters the viewer sent; `{}` before any. */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * The viewer's input frames, **latest wins**: while the model works on one,
   * newer ones replace the waiting one. Ends when the session ends.
   */
  frames(): AsyncIterableIterator<InputFrame>;
  /** The newest input frame not yet taken, without waiting for one. */
  latestFrame(): InputFrame | undefined;
  /**
   * Sends an output frame to the session's viewer and spectators, for a
   * session function that returns no iterable. Validates like
   * `FrameStreamServer.push()`.
   */
  push(frame: PushFrame, metrics?: FrameMetrics): void;
  /** Aborted when the session ends (viewer gone past the grace period, timeout, `end()`, server closing). */
  readonly signal: AbortSignal;
  /** Ends the session; the viewer is told `reason` and not reconnected. */
  end(reason?: string): void;
}

/**
 * Called once per session: returns the session's frame source (an async
 * iterable, or a function returning one), or nothing and uses `session.push()`.
 */
export type SessionHandler = (
  session: Session,
) => AsyncIterable<SourceFrame> | (() => AsyncIterable<SourceFrame>) | void | Promise<AsyncIterable<SourceFrame> | void>;

/** Counters and recent figures, as returned by {@link FrameStreamServer.getStats}. */
export interface ServerStats {
  viewers: number;
  /** Viewers speaking `framestream.v1`; the rest receive bare JPEG messages. */
  framestreamViewers: number;
  /** Whether frames are being produced right now. */
  producing: boolean;
  source: string;
  framesProduced: number;
  /** Frame messages written to sockets, summed over viewers. */
  framesSent: number;
  /** Frames not sent to a viewer because its socket was behind (lost to it), summed over viewers. */
  framesSkipped: number;
  /** Frames not sent to a viewer because of its own FPS cap (on purpose), summed over viewers. */
  framesCapped: number;
  /** Scheduled frames never produced because the previous ones were still encoding. */
  framesDropped: number;
  /** Frames per second produced over the last second or so. */
  fps: number;
  /** Median JPEG encode time over recent frames, ms (`undefined` before the first encode). */
  encodeMs: number | undefined;
  /** Median `inferenceMs` the source reported over recent frames, if it reports one. */
  inferenceMs: number | undefined;
  /** Size of the last frame's JPEG in bytes (0 before the first frame). */
  lastFrameBytes: number;
  /** Largest number of bytes waiting in any viewer's socket right now. */
  maxBufferedBytes: number;
  /** Upgrades refused (origin, authorization, viewer limit, handshake timeout). */
  rejectedConnections: number;
  /** For an interactive stream: sessions running, viewers waiting for one, spectators. */
  sessions?: { active: number; queued: number; spectators: number };
  /** For a stream with `ingest`: whether a producer is connected, and since when none is (server wall clock). */
  producer?: { connected: boolean; offlineSince: number | null };
  /** Messages or behaviour of viewers the stream refused (garbage, floods, oversize, dead peers), all counted; see the `viewerError` event. */
  viewerErrors: number;
  /** For a stream with a `hub`: this node, the hub's state and every node heard from (see docs/scaling.md). */
  cluster?: ClusterStats;
}

/** Every event a {@link FrameStreamServer} emits. */
export interface FrameStreamServerEvents {
  /** A viewer connected (after authorization and the WebSocket handshake). */
  connection: (viewer: ViewerHandle) => void;
  /** A viewer went away; `code` is the WebSocket close code. */
  disconnect: (viewer: ViewerHandle & { code: number }) => void;
  /**
   * Whether anyone is watching changed: the first viewer arrived (`true`) or
   * the last one left (`false`). An app driving a model with `push()` can
   * pause it while nobody watches (also readable as `stream.watching`).
   */
  watching: (watching: boolean) => void;
  /** For a stream with `ingest`: its producer connected (`true`) or went away (`false`). */
  producer: (connected: boolean) => void;
  /** A frame was produced and handed to the viewers. */
  frame: (meta: FrameMeta) => void;
  /**
   * A failure the app may need to act on: a source threw or hung, an encode
   * failed, a hook threw, the stream is full. The stream keeps running. With
   * no listener nothing is thrown (eventemitter3 does not treat `error`
   * specially), so the host never crashes.
   */
  error: (err: FrameStreamError) => void;
  /**
   * A viewer misbehaved (sent garbage, flooded, sent too much, stopped
   * answering pings, its socket failed). The stream answered it already; this
   * is for logs. Sampled: at most one event a second per viewer, with the
   * rest counted in `getStats().viewerErrors`, so one hostile client cannot
   * flood the app's logs or hide a real failure among its own.
   */
  viewerError: (err: FrameStreamError, viewer: ViewerHandle) => void;
  /** A `framestream.v1` viewer sent `{ type: 'control', data }`; answer it with `viewer.send()`. */
  control: (data: unknown, viewer: ViewerHandle) => void;
}

/** The handle {@link createFrameStreamServer} returns. */
export interface FrameStreamServer extends EventEmitter<FrameStreamServerEvents> {
  /** The WebSocket path this stream answers, normalised without a trailing slash (`'/ws/test'`). */
  readonly path: string;
  /** The snapshot path, or `false` when snapshots are off. */
  readonly snapshotPath: string | false;
  /** Viewers connected right now. */
  readonly viewerCount: number;
  /** @deprecated The old name of {@link viewerCount}. */
  readonly clientCount: number;
  /** Whether any viewer is connected (see the `watching` event). */
  readonly watching: boolean;
  /**
   * Hands a `source: 'push'` stream a frame. Validates synchronously and
   * throws a `TypeError`/`RangeError` naming the bad field (the stream keeps
   * its last good frame), or a `TypeError` when the stream's source is not
   * `'push'`. The frame is copied, so the caller may reuse its buffer at
   * once. While nobody watches, only the newest frame is kept, not encoded;
   * raw pixels are otherwise encoded asynchronously and encoder failures
   * become `error` events.
   */
  push(frame: PushFrame, metrics?: FrameMetrics): void;
  /** Switches the source while viewers stay connected (e.g. noise ↔ pattern). */
  setSource(source: FrameSource): void;
  /**
   * Sends `{ type: 'control', data }` to every `framestream.v1` viewer,
   * serialised once; a viewer too far behind to queue more is skipped.
   */
  broadcast(data: unknown): void;
  getStats(): ServerStats;
  /**
   * Serves the snapshot route from any framework's middleware. Returns `true`
   * when the request was this stream's (it is then answered, possibly
   * asynchronously), `false` to let the caller continue.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Closes this stream's sockets (code 1001), stops its timers and removes only
   * its own listeners; the host server keeps running. Safe to call twice.
   * Closing the host server (`server.close()`) closes the stream too.
   */
  close(): Promise<void>;
}

/** One node of the cluster as the others last heard of it. */
export interface ClusterNode {
  node: string;
  viewers: number;
  /** Whether it produces the stream's frames now. */
  producing: boolean;
  /** This process. */
  self: boolean;
}

/** What `getStats().cluster` says. */
export interface ClusterStats {
  /** This node's id on the hub. */
  node: string;
  /** Whether the hub is connected now. */
  connected: boolean;
  /** Viewers on every node heard from. */
  viewers: number;
  nodes: ClusterNode[];
  /** Relayed frames dropped for arriving after a newer one from the same node. */
  outOfOrder: number;
}
