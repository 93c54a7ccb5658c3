import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { FrameStreamError } from '../../protocol/index.js';
import { checkAccess, corsOrigin } from './gate.js';
import type { ResolvedOptions } from '../options.js';

export interface SnapshotContext {
  options: ResolvedOptions;
  /** The JPEG to serve, or `undefined` when the stream has no frame yet. */
  frame(): Promise<Uint8Array | undefined>;
  reportError(err: FrameStreamError): void;
}

function plain(res: ServerResponse, status: number, headers: Record<string, string>, body = STATUS_CODES[status] ?? ''): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Answers the snapshot route: `GET`/`HEAD` with the current frame as
 * `image/jpeg`, `OPTIONS` as a CORS preflight. Never rejects.
 */
export async function serveSnapshot(ctx: SnapshotContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { allowedOrigins, authorize, handshakeTimeout } = ctx.options;
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  try {
    const allow = corsOrigin(allowedOrigins, req.headers.origin, req.headers.host);
    if (allow) headers['Access-Control-Allow-Origin'] = allow;
    if (allowedOrigins !== '*') headers.Vary = 'Origin';
  } catch {
    // A throwing `allowedOrigins` function is reported by checkAccess below.
  }
  try {
    // Preflights carry no credentials, so they are answered before authorize().
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...headers,
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const verdict = await checkAccess(req, allowedOrigins, authorize, handshakeTimeout);
    if (!verdict.ok) {
      if (verdict.error) ctx.reportError(verdict.error);
      plain(res, verdict.status, headers);
      return;
    }
    let jpeg: Uint8Array | undefined;
    try {
      jpeg = await ctx.frame();
    } catch (cause) {
      ctx.reportError(new FrameStreamError('ERR_ENCODE_FAILED', 'Encoding the snapshot failed', { cause }));
      plain(res, 500, headers);
      return;
    }
    if (!jpeg) {
      plain(res, 503, { ...headers, 'Retry-After': '1' }, 'No frame has been produced yet');
      return;
    }
    if (res.destroyed) return;
    res.writeHead(200, { ...headers, 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.byteLength });
    res.end(req.method === 'HEAD' ? undefined : jpeg);
  } catch (cause) {
    ctx.reportError(new FrameStreamError('ERR_SOCKET', 'Answering a snapshot request failed', { cause }));
    if (!res.headersSent) plain(res, 500, headers);
    else res.destroy();
  }
}
