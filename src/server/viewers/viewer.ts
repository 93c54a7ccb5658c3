import type { WebSocket } from 'ws';
import type { ServerMessage } from '../../protocol/index.js';
import type { EncodedFrame } from '../encode/framing.js';
import type { ViewerHandle, ViewerInfo } from '../types.js';
import { TokenBucket } from './token-bucket.js';

// Below this many waiting bytes a socket counts as keeping up even when
// frames are tiny, so one scheduling hiccup does not cost a small-frame viewer a frame.
const MIN_BACKLOG_BYTES = 64 * 1024;
// Text messages (pongs, metrics, error replies, broadcasts) are advisory:
// once this much is waiting for a socket that is not being read, further
// ones are dropped instead of queued. A client that keeps sending (so passes
// the heartbeat) but never reads would otherwise grow the server's memory
// without end.
const MAX_TEXT_BACKLOG_BYTES = 1024 * 1024;

/** Per-connection state: who it is, what it may still be sent, what it may still send. */
export class Viewer {
  readonly info: { -readonly [K in keyof ViewerInfo]: ViewerInfo[K] };
  /** The handle app code gets in events: live figures, and a way to answer this viewer. */
  readonly handle: ViewerHandle;
  /** Answered the last heartbeat ping (or sent anything since). */
  alive = true;
  sent = 0;
  /** Frames not sent because the socket was still behind: lost to the viewer. */
  skipped = 0;
  /** Frames not sent because of the viewer's own FPS cap: skipped on purpose. */
  capped = 0;
  /** One token bucket per message kind, made on first use. */
  readonly buckets = new Map<string, TokenBucket>();
  private nextDue = 0;

  constructor(
    readonly ws: WebSocket,
    info: ViewerInfo,
    readonly identity: unknown,
  ) {
    this.info = { ...info };
    this.handle = createHandle(this);
  }

  get framestream(): boolean {
    return this.info.protocol !== null;
  }

  /** Bytes accepted by `send()` but not yet handed to the kernel. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * Sends the frame unless the viewer is behind or over its FPS cap. Never
   * queues: a skipped viewer simply gets a newer frame later (latest frame
   * wins), so a stalled socket holds at most about two frames.
   *
   * @param streamInterval ms between the stream's frames, the tolerance for the cap
   */
  offer(frame: EncodedFrame, now: number, streamInterval: number): boolean {
    if (this.ws.readyState !== 1) return false;
    const data = this.framestream ? frame.message : frame.payload;
    if (this.buffered > Math.max(MIN_BACKLOG_BYTES, data.byteLength)) {
      this.skipped++;
      return false;
    }
    const cap = this.info.maxFps;
    if (cap !== null) {
      // Half a stream interval of slack keeps a 10 FPS cap on a 30 FPS
      // stream at every third frame instead of beating against timer jitter.
      if (now < this.nextDue - streamInterval / 2) {
        this.capped++;
        return false;
      }
      const capInterval = 1000 / cap;
      // Due times advance by whole cap intervals (no drift); after an idle
      // stretch they restart from now instead of allowing a burst.
      this.nextDue = this.nextDue + capInterval < now ? now + capInterval : this.nextDue + capInterval;
    }
    this.ws.send(data, { binary: true, compress: false });
    this.sent++;
    return true;
  }

  setMaxFps(fps: number | null): void {
    this.info.maxFps = fps;
    this.nextDue = 0;
  }

  /** JSON control message; bare viewers never get one (they could only misread it). */
  sendMessage(msg: ServerMessage): boolean {
    return this.sendText(JSON.stringify(msg));
  }

  /**
   * Already-serialised JSON (a broadcast is serialised once for every
   * viewer). Every text message goes through this one guard.
   */
  sendText(text: string): boolean {
    if (!this.framestream || this.ws.readyState !== 1 || this.buffered > MAX_TEXT_BACKLOG_BYTES) return false;
    this.ws.send(text);
    return true;
  }

  /** The token bucket for one kind of message, created with `limit` on first use. */
  bucket(kind: string, limit: { messages: number; perMs: number }): TokenBucket {
    let b = this.buckets.get(kind);
    if (!b) this.buckets.set(kind, (b = new TokenBucket(limit)));
    return b;
  }
}

function createHandle(viewer: Viewer): ViewerHandle {
  const { info } = viewer;
  return {
    get id() {
      return info.id;
    },
    get protocol() {
      return info.protocol;
    },
    get remoteAddress() {
      return info.remoteAddress;
    },
    get url() {
      return info.url;
    },
    get maxFps() {
      return info.maxFps;
    },
    get connectedAt() {
      return info.connectedAt;
    },
    identity: viewer.identity,
    get connected() {
      return viewer.ws.readyState === 1;
    },
    send: (data: unknown) => viewer.sendText(JSON.stringify({ type: 'control', data })),
    close: (code = 1000, reason = '') => viewer.ws.close(code, reason),
    toJSON: () => ({ ...info }),
  };
}
