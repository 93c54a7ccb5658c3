import type { WebSocket } from 'ws';
import type { ServerMessage } from '../protocol/index.js';
import type { EncodedFrame } from './pipeline.js';
import type { ViewerInfo } from './types.js';

// Below this many waiting bytes a socket counts as keeping up even when
// frames are tiny, so one scheduling hiccup does not cost a small-frame viewer a frame.
const MIN_BACKLOG_BYTES = 64 * 1024;
// Pongs, metrics and error replies are advisory: once this much is waiting
// for a socket that is not being read, further ones are dropped instead of
// queued. A client that keeps sending (so passes the heartbeat) but never
// reads would otherwise grow the server's memory without end.
const MAX_TEXT_BACKLOG_BYTES = 1024 * 1024;

/** Per-connection state: who it is, what it may still be sent, what it may still send. */
export class Viewer {
  readonly info: { -readonly [K in keyof ViewerInfo]: ViewerInfo[K] };
  /** Answered the last heartbeat ping (or sent anything since). */
  alive = true;
  sent = 0;
  skipped = 0;
  private nextDue = 0;
  private tokens: number;
  private refilledAt = performance.now();
  private overdraft = 0;

  constructor(
    readonly ws: WebSocket,
    info: ViewerInfo,
    private readonly rateLimit: { messages: number; perMs: number },
  ) {
    this.info = { ...info };
    this.tokens = rateLimit.messages;
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
        this.skipped++;
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
  sendMessage(msg: ServerMessage): void {
    if (!this.framestream || this.ws.readyState !== 1 || this.buffered > MAX_TEXT_BACKLOG_BYTES) return;
    this.ws.send(JSON.stringify(msg));
  }

  /**
   * Token bucket: `'ok'`, `'limited'` (drop this message and tell the viewer)
   * or `'abusive'` (it kept going for another full bucket: disconnect).
   */
  consumeToken(now = performance.now()): 'ok' | 'limited' | 'abusive' {
    const { messages, perMs } = this.rateLimit;
    this.tokens = Math.min(messages, this.tokens + ((now - this.refilledAt) * messages) / perMs);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.overdraft = 0;
      return 'ok';
    }
    this.overdraft += 1;
    return this.overdraft > messages ? 'abusive' : 'limited';
  }
}
