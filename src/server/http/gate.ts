import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { FrameStreamError } from '../../protocol/index.js';
import type { FrameStreamServerOptions } from '../options.js';

type AllowedOrigins = NonNullable<FrameStreamServerOptions['allowedOrigins']>;

/** Outcome of checking a request against `allowedOrigins` and `authorize`. */
export type Verdict =
  | { ok: true; identity: unknown }
  | { ok: false; status: number; error?: FrameStreamError };

/** True when the page's origin names the host the request was sent to. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Whether a request from `origin` may connect or read snapshots. */
export function originAllowed(allowed: AllowedOrigins, origin: string | undefined, host?: string): boolean {
  if (allowed === '*') return true;
  // Browsers always send Origin on WebSocket and cross-origin requests; a
  // request without one is a non-browser client, which CORS does not concern.
  if (allowed === 'same-origin') return origin === undefined || sameOrigin(origin, host);
  if (Array.isArray(allowed)) return origin === undefined || allowed.includes(origin);
  return allowed(origin) === true;
}

/** The `Access-Control-Allow-Origin` value for a request, if any. */
export function corsOrigin(allowed: AllowedOrigins, origin: string | undefined, host?: string): string | undefined {
  if (allowed === '*') return '*';
  return origin !== undefined && originAllowed(allowed, origin, host) ? origin : undefined;
}

/**
 * Runs the origin check and `authorize()` (bounded by `timeoutMs`). Never
 * rejects: a throwing origin function or hook becomes a 500 verdict with the
 * error to report, so no request path can crash the host.
 */
export async function checkAccess(
  req: IncomingMessage,
  allowed: AllowedOrigins,
  authorize: FrameStreamServerOptions['authorize'],
  timeoutMs: number,
): Promise<Verdict> {
  try {
    if (!originAllowed(allowed, req.headers.origin, req.headers.host)) return { ok: false, status: 403 };
  } catch (cause) {
    return { ok: false, status: 500, error: new FrameStreamError('ERR_HOOK_FAILED', '`allowedOrigins` threw', { cause }) };
  }
  if (!authorize) return { ok: true, identity: undefined };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    const answer = await Promise.race([Promise.resolve().then(() => authorize(req)), timeout]);
    if (answer === 'timeout') {
      return {
        ok: false,
        status: 503,
        error: new FrameStreamError('ERR_HANDSHAKE_TIMEOUT', `\`authorize\` did not answer within ${timeoutMs} ms`),
      };
    }
    // `true` admits an anonymous viewer; an object admits one and says who it is.
    if (answer === true) return { ok: true, identity: undefined };
    if (typeof answer === 'object' && answer !== null) return { ok: true, identity: answer };
    return { ok: false, status: 401 };
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return { ok: false, status: 500, error: new FrameStreamError('ERR_HOOK_FAILED', `\`authorize\` threw: ${detail}`, { cause }) };
  } finally {
    clearTimeout(timer);
  }
}

/** Refuses an upgrade with a plain HTTP response and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, extraHeaders: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = STATUS_CODES[status] ?? 'Error';
  const headers = {
    Connection: 'close',
    'Content-Type': 'text/plain',
    'Content-Length': String(Buffer.byteLength(body)),
    ...extraHeaders,
  };
  // end() only half-closes: a client that never closes its side would keep
  // the socket and its descriptor open for good. Destroy once the answer is
  // flushed, as ws's own abortHandshake() does.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${body}\r\n` +
      Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      `\r\n${body}`,
  );
}
