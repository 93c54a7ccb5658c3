import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { CLOSE_CODES, FrameStreamError, SUBPROTOCOL } from '../../protocol/index.js';
import type { ResolvedOptions } from '../options.js';
import { checkAccess, refuseUpgrade } from './gate.js';

/** What the gate needs from its stream. */
export interface UpgradeContext {
  options: Pick<ResolvedOptions, 'allowedOrigins' | 'authorize' | 'handshakeTimeout' | 'maxViewers'>;
  wss: WebSocketServer;
  /** Viewers connected now. */
  viewerCount(): number;
  /** True once the stream is closing: everything is refused. */
  closing(): boolean;
  accept(ws: WebSocket, req: IncomingMessage, identity: unknown): void;
  reportError(err: FrameStreamError): void;
}

// What each refusal says: HTTP status for plain clients, close code for ours.
const REFUSALS: Record<number, { close: number; reason: string } | undefined> = {
  401: { close: CLOSE_CODES.unauthorized, reason: 'Unauthorized' },
  403: { close: CLOSE_CODES.forbiddenOrigin, reason: 'Origin not allowed' },
  503: { close: CLOSE_CODES.full, reason: 'Too many viewers' },
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Admits or refuses WebSocket upgrades on a stream's path: capacity,
 * origin, `authorize` (which may say who the viewer is), then the handshake.
 */
export class UpgradeGate {
  /** Upgrades refused so far (origin, authorization, capacity, handshake timeout). */
  rejected = 0;
  private pending = 0;

  constructor(private readonly ctx: UpgradeContext) {}

  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { ctx } = this;
    const max = ctx.options.maxViewers;
    // Until ws owns the socket, a reset must not become an uncaught error.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    if (ctx.closing()) return this.refuse(req, socket, head, 503, false);
    if (ctx.viewerCount() + this.pending >= max) {
      ctx.reportError(new FrameStreamError('ERR_TOO_MANY_CLIENTS', `Refused a viewer: \`maxViewers\` (${max}) reached`));
      return this.refuse(req, socket, head, 503);
    }
    this.pending++;
    void checkAccess(req, ctx.options.allowedOrigins, ctx.options.authorize, ctx.options.handshakeTimeout).then((verdict) => {
      this.pending--;
      if (!verdict.ok) {
        if (verdict.error) ctx.reportError(verdict.error);
        return this.refuse(req, socket, head, verdict.status);
      }
      if (ctx.closing() || socket.destroyed) return void socket.destroy();
      socket.off('error', onSocketError);
      this.handshake(req, socket, head, (ws) => ctx.accept(ws, req, verdict.identity));
    });
  }

  // A browser reports every refused handshake as the same bare 1006, so a
  // framestream client could only retry forever. It asked for our
  // subprotocol, so it can read a close code: complete the handshake and
  // close at once with one that says why. Nothing else is ever sent on it.
  private refuse(req: IncomingMessage, socket: Duplex, head: Buffer, status: number, explain = true): void {
    this.rejected++;
    const refusal = REFUSALS[status];
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .some((p) => p.trim() === SUBPROTOCOL);
    if (!explain || !refusal || !offered || socket.destroyed) return refuseUpgrade(socket, status, status === 503 ? { 'Retry-After': '5' } : {});
    this.handshake(req, socket, head, (ws) => {
      ws.on('error', () => {});
      ws.close(refusal.close, refusal.reason);
      // A peer that never answers the close must not keep the socket.
      setTimeout(() => ws.terminate(), 2000).unref();
    });
  }

  private handshake(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void {
    try {
      this.ctx.wss.handleUpgrade(req, socket, head, done);
    } catch (cause) {
      this.ctx.reportError(new FrameStreamError('ERR_SOCKET', `WebSocket handshake failed: ${errorText(cause)}`, { cause }));
      socket.destroy();
    }
  }
}
