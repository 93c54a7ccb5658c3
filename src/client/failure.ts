import { CLOSE_CODES, FrameStreamError, type FrameStreamErrorCode } from '../protocol/index.js';
import type { ConnectionFailure } from './types.js';

/** What the client knows about a connection that just ended. */
export interface EndedConnection {
  url: string;
  /** Close code as the runtime reported it (1006 when it never opened). */
  code: number;
  reason: string;
  /** The handshake succeeded. */
  opened: boolean;
  /** The message of the socket's `error` event: `null` when there was none, `''` when it said nothing (browsers). */
  socketError: string | null;
}

const REFUSALS: Record<number, { code: FrameStreamErrorCode; what: string } | undefined> = {
  [CLOSE_CODES.unauthorized]: { code: 'ERR_UNAUTHORIZED', what: 'refused this viewer: not authorized' },
  [CLOSE_CODES.forbiddenOrigin]: { code: 'ERR_FORBIDDEN_ORIGIN', what: "refused this page's origin" },
  [CLOSE_CODES.full]: { code: 'ERR_TOO_MANY_CLIENTS', what: 'is full: too many viewers' },
};

/** What {@link describeEnd} makes of a connection that ended. */
export interface EndDescription {
  /** The `error` event to emit, or `null` when the end is no failure worth a word. */
  error: FrameStreamError | null;
  /** What the snapshot's `failure` becomes, or `null` to leave it (a close with 1000). */
  failure: ConnectionFailure | null;
}

/**
 * The error to report for a connection that ended, and the failure for the
 * snapshot. A drop of a working connection (an abnormal close without an
 * error) says nothing beyond its close code, so it is no `error` event, but
 * a UI left in `reconnecting` or `error` can still show it.
 *
 * A browser reports every refused handshake (nothing listening, a 404 for
 * a wrong path, a 401) as the same close 1006 with no detail, so a failure
 * before the socket opened can only say that the URL could not be reached
 * or refused the WebSocket. A framestream server that must refuse a
 * framestream.v1 client says why instead: it accepts the handshake and closes
 * at once with one of {@link CLOSE_CODES}.
 */
export function describeEnd(end: EndedConnection): EndDescription {
  const { url, code, reason } = end;
  const error = errorFor(end);
  if (error) return { error, failure: toFailure(error, url, code) };
  if (code === 1000) return { error: null, failure: null };
  const detail = reason ? `: ${reason}` : '';
  const lost = new FrameStreamError('ERR_SOCKET', `The connection to ${url} was lost (close ${code}${detail})`);
  return { error: null, failure: toFailure(lost, url, code) };
}

function errorFor({ url, code, reason, opened, socketError }: EndedConnection): FrameStreamError | null {
  const refusal = REFUSALS[code];
  if (refusal) {
    const detail = reason ? `: ${reason}` : '';
    return new FrameStreamError(refusal.code, `The server at ${url} ${refusal.what} (close ${code}${detail})`);
  }
  if (!opened) {
    const detail = socketError ? ` (${socketError})` : '';
    return new FrameStreamError(
      'ERR_UNREACHABLE',
      `Could not connect to ${url}: nothing answered there, or the server refused the WebSocket (check the host, port and path)${detail}`,
    );
  }
  if (socketError !== null) {
    return new FrameStreamError('ERR_SOCKET', `WebSocket error on ${url}${socketError ? `: ${socketError}` : ''}`);
  }
  return null;
}

/** The plain-data record of a failure that a snapshot carries. */
export function toFailure(error: FrameStreamError, url: string, closeCode: number | null): ConnectionFailure {
  return Object.freeze({ code: error.code, message: error.message, url, closeCode });
}
