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

/**
 * The error to report for a connection that ended, or `null` for an end
 * that is no failure worth a word (a clean close, a drop without an error).
 *
 * A browser reports every refused handshake (nothing listening, a 404 for
 * a wrong path, a 401) as the same close 1006 with no detail, so a failure
 * before the socket opened can only say that the URL could not be reached
 * or refused the WebSocket. A framestream server that must refuse a
 * framestream.v1 client says why instead: it accepts the handshake and closes
 * at once with one of {@link CLOSE_CODES}.
 */
export function describeEnd({ url, code, reason, opened, socketError }: EndedConnection): FrameStreamError | null {
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
