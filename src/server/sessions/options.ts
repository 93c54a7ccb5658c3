import type { IncomingMessage } from 'node:http';
import type { Session, SessionHandler } from '../types.js';
import { integer, show } from '../validate.js';

/** The options of `createFrameStreamServer` that make a stream interactive (docs/sessions.md). */
export interface SessionOptions {
  /**
   * Makes the stream interactive: called once per viewer session with a
   * `Session` (its params, its input frames, its signal); returns the
   * session's frame source or uses `session.push()` (docs/sessions.md).
   *
   * `'producer'` instead has the stream's ingest producer serve every
   * session (it needs `ingest`, and a producer that connects with
   * `?sessions=1`; docs/producers.md).
   * @default undefined (a broadcast stream)
   */
  session?: SessionHandler | 'producer';
  /**
   * Sessions running at once; later viewers wait in a FIFO queue.
   * @default 4
   */
  maxSessions?: number;
  /**
   * ms a session may run before it ends (close code 4408); `0` for no limit.
   * @default 0
   */
  sessionTimeout?: number;
  /**
   * ms a session waits for its viewer to reconnect after a dropped socket.
   * @default 10000
   */
  sessionGrace?: number;
  /**
   * Largest input frame a session's viewer may send, bytes.
   * @default 2097152 (2 MiB)
   */
  maxInputBytes?: number;
  /**
   * Whether a request may watch the session it names with `?watch=<id>`,
   * read-only. Without it, nobody spectates.
   * @default undefined
   */
  authorizeSpectator?: (req: IncomingMessage, session: Session) => boolean | Promise<boolean>;
}

/** The session options of `createFrameStreamServer`, resolved. */
export interface ResolvedSessions {
  /** The app's session function, or `'producer'`: the ingest producer serves the sessions. */
  handler: SessionHandler | 'producer';
  maxSessions: number;
  sessionTimeout: number;
  sessionGrace: number;
  maxInputBytes: number;
  authorizeSpectator: ((req: IncomingMessage, session: Session) => boolean | Promise<boolean>) | undefined;
}

export const SESSION_DEFAULTS = Object.freeze({
  maxSessions: 4,
  sessionTimeout: 0,
  sessionGrace: 10_000,
  maxInputBytes: 2 * 1024 * 1024,
});

/** Validates the session options (only read when `session` is given), naming the bad one. */
export function resolveSessions(o: Record<string, unknown>): ResolvedSessions {
  if (typeof o.session !== 'function' && o.session !== 'producer') {
    throw new TypeError(`Expected \`session\` to be a function or 'producer', got \`${show(o.session)}\``);
  }
  // Who makes a session's frames must be one answer: the function in this
  // process, or the producer on the ingest endpoint, never both.
  if (o.session === 'producer' && o.ingest === undefined) {
    throw new TypeError("`session: 'producer'` has the ingest producer serve the sessions: give `ingest` too");
  }
  if (typeof o.session === 'function' && o.ingest !== undefined) {
    throw new TypeError(
      "A `session` function makes each session's frames in this process, so `ingest` would have nobody to feed; " +
        "pass `session: 'producer'` to have the ingest producer serve the sessions",
    );
  }
  const s: Record<string, unknown> = { ...SESSION_DEFAULTS, ...o };
  integer('maxSessions', s.maxSessions, 1, 100_000);
  integer('sessionTimeout', s.sessionTimeout, 0, 2 ** 31 - 1);
  integer('sessionGrace', s.sessionGrace, 0, 2 ** 31 - 1);
  integer('maxInputBytes', s.maxInputBytes, 1024, 64 * 1024 * 1024);
  if (s.authorizeSpectator !== undefined && typeof s.authorizeSpectator !== 'function') {
    throw new TypeError(`Expected \`authorizeSpectator\` to be a function, got \`${show(s.authorizeSpectator)}\``);
  }
  return {
    handler: o.session as SessionHandler | 'producer',
    maxSessions: s.maxSessions as number,
    sessionTimeout: s.sessionTimeout as number,
    sessionGrace: s.sessionGrace as number,
    maxInputBytes: s.maxInputBytes as number,
    authorizeSpectator: s.authorizeSpectator as ResolvedSessions['authorizeSpectator'],
  };
}
