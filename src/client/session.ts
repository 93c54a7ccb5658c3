import { CLOSE_CODES, FrameStreamError, type SessionMessage } from '../protocol/index.js';
import type { SessionState } from './types.js';

/**
 * The client's side of an interactive stream's session (docs/sessions.md):
 * where it stands, for the snapshot, and the secret token that resumes it
 * after a dropped socket.
 *
 * The token is kept from the server's latest `session` message (a new
 * session's token replaces the old one) and forgotten once the session
 * ended or on `disconnect()`; while kept, every reconnect asks for the same
 * session with `?session=<token>`.
 */
export class SessionTracker {
  private state: SessionState | null = null;
  private token: string | null = null;

  /** What the snapshot shows; the same object until a message changes it. */
  get current(): SessionState | null {
    return this.state;
  }

  /** In an active session of one's own: input frames and params are taken. */
  get accepting(): boolean {
    return this.state?.state === 'active' && !this.state.spectator;
  }

  /** Waiting in the queue. */
  get queued(): boolean {
    return this.state?.state === 'queued';
  }

  /**
   * Takes a `session` message. `clockOffsetMs` (server minus client clock)
   * puts `expiresAt` on this client's clock. Returns whether the state changed.
   */
  update(msg: SessionMessage, clockOffsetMs: number | null): boolean {
    const prev = this.state;
    let next: SessionState;
    if (msg.state === 'queued') {
      this.token = msg.token || null;
      next = { state: 'queued', position: msg.position, id: null, expiresAt: null, spectator: false, reason: null };
    } else if (msg.state === 'active') {
      // A spectator gets no token: it has no session of its own to resume.
      this.token = msg.token || null;
      const expiresAt = msg.expiresAt === null ? null : Math.round(msg.expiresAt - (clockOffsetMs ?? 0));
      next = { state: 'active', position: null, id: msg.id, expiresAt, spectator: msg.spectator === true, reason: null };
    } else {
      this.token = null;
      next = { state: 'ended', position: null, id: prev?.id ?? null, expiresAt: null, spectator: prev?.spectator ?? false, reason: msg.reason };
    }
    if (prev && sameState(prev, next)) return false;
    this.state = Object.freeze(next);
    return true;
  }

  /** `url` with `session=<token>` added to its query while there is a session to resume; the rest of the query is kept. */
  urlFor(url: string): string {
    if (this.token === null) return url;
    const u = new URL(url);
    u.searchParams.set('session', this.token);
    return u.href;
  }

  /**
   * The error for a connection the server closed because the session ended
   * (4001) or ran out of time (4408), with the reason it gave in its last
   * `session` message (the close frame's reason is cut to 123 bytes);
   * `null` for any other close. Forgets the token either way for these codes.
   */
  endedBy(code: number, closeReason: string): FrameStreamError | null {
    if (code !== CLOSE_CODES.sessionEnded && code !== CLOSE_CODES.sessionTimeout) return null;
    this.token = null;
    const said = this.state?.state === 'ended' ? this.state.reason : null;
    const reason = said || closeReason || (code === CLOSE_CODES.sessionTimeout ? 'The session reached its time limit' : 'The session ended');
    if (this.state?.state !== 'ended') {
      this.state = Object.freeze({ state: 'ended', position: null, id: this.state?.id ?? null, expiresAt: null, spectator: this.state?.spectator ?? false, reason });
    }
    return new FrameStreamError(code === CLOSE_CODES.sessionTimeout ? 'ERR_SESSION_TIMEOUT' : 'ERR_SESSION_ENDED', reason);
  }

  /** Forgets the session and its token (`disconnect()`, or `connect()` after it ended). */
  clear(): boolean {
    const had = this.state !== null;
    this.state = null;
    this.token = null;
    return had;
  }
}

function sameState(a: SessionState, b: SessionState): boolean {
  return (
    a.state === b.state &&
    a.position === b.position &&
    a.id === b.id &&
    a.expiresAt === b.expiresAt &&
    a.spectator === b.spectator &&
    a.reason === b.reason
  );
}
