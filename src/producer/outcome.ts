import { FrameStreamError, PRODUCER_CLOSE_CODES } from '../protocol/index.js';
import type { ConnectionEnd } from './connection.js';

/** What to do after a connection ended. */
export interface Verdict {
  /** What to report, if anything. */
  error?: FrameStreamError;
  /** Stop for good: retrying cannot help. */
  stop: boolean;
  /** The least delay before the next attempt, ms (the backoff may choose longer). */
  minDelayMs: number;
}

/** Failed handshakes the server allows per address and minute before it answers 429. */
const FAILURES_PER_MINUTE = 5;

/**
 * Reads why a connection ended. A refusal that retrying cannot fix (a token
 * refused, replaced by a newer producer, an HTTP answer that says this is
 * no ingest endpoint) stops; another producer on the stream (4409) is
 * retried, but slowly; a 429 waits as long as `Retry-After` says; anything
 * else (the server restarting, network trouble) is retried on the backoff.
 *
 * @param reported the server already explained itself in an `error` message
 */
export function judgeEnd(end: ConnectionEnd, opts: { busyRetryMs: number; url: string; reported: boolean }): Verdict {
  const { httpStatus, code } = end;
  const refused = (message: string): Verdict => ({
    error: new FrameStreamError('ERR_PRODUCER_REFUSED', message),
    stop: true,
    minDelayMs: 0,
  });
  if (httpStatus === 401 || httpStatus === 403 || code === PRODUCER_CLOSE_CODES.unauthorized) {
    const how = httpStatus ? `HTTP ${httpStatus}` : `close code ${code}`;
    return refused(`The ingest endpoint at ${opts.url} refused the producer (${how}): check its \`token\``);
  }
  if (httpStatus === 429) {
    const minDelayMs = end.retryAfterMs ?? 60_000 / FAILURES_PER_MINUTE;
    return { stop: false, minDelayMs };
  }
  if (httpStatus === 400) {
    return refused(`${opts.url} did not accept the subprotocol framestream.producer.v1 (HTTP 400): is it the stream's ingest path?`);
  }
  // Any other answer but a server error or a timeout (a proxy's 502 while
  // the server restarts) says this is no ingest endpoint: an app's 200 or
  // 404, a redirect. Retrying would hide a wrong URL.
  if (httpStatus !== undefined && httpStatus < 500 && httpStatus !== 408) {
    return refused(`${opts.url} answered the handshake with HTTP ${httpStatus}: is it the stream's ingest path?`);
  }
  if (code === PRODUCER_CLOSE_CODES.busy) {
    const message = `Another producer feeds the stream at ${opts.url}; retrying every ${opts.busyRetryMs} ms or more`;
    return { error: new FrameStreamError('ERR_PRODUCER_BUSY', message), stop: false, minDelayMs: opts.busyRetryMs };
  }
  if (code === PRODUCER_CLOSE_CODES.sessionsRequired) {
    // The same producer would be refused again: it needs `sessions: true` and the code to serve them.
    return refused(`The stream at ${opts.url} serves its viewer sessions from a producer: create the producer with \`sessions: true\` (close code ${code})`);
  }
  if (code === PRODUCER_CLOSE_CODES.replaced) {
    // Coming back would take the stream from the producer that replaced this one.
    return refused(`A newer producer replaced this one at ${opts.url} (close code ${code})`);
  }
  if (!opts.reported && code === PRODUCER_CLOSE_CODES.protocolError) {
    const message = `The server closed the producer for a protocol error${end.reason ? `: ${end.reason}` : ''}`;
    return { error: new FrameStreamError('ERR_PRODUCER_PROTOCOL', message), stop: false, minDelayMs: 0 };
  }
  if (!opts.reported && code === 1009) {
    const message = `The server closed the producer for a frame over its \`maxFrameBytes\`${end.reason ? `: ${end.reason}` : ''}`;
    return { error: new FrameStreamError('ERR_INVALID_FRAME', message), stop: false, minDelayMs: 0 };
  }
  return { stop: false, minDelayMs: 0 };
}
