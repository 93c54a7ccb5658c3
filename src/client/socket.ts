import { SUBPROTOCOL } from '../protocol/index.js';
import type { WebSocketConstructor, WebSocketLike } from './types.js';

/** What the client hears from its socket. */
export interface SocketEvents {
  open(ws: WebSocketLike): void;
  message(data: unknown): void;
  /** The socket's `error` event: its message, `''` when it says nothing (browsers). */
  error(message: string): void;
  close(code: number, reason: string): void;
}

/**
 * Opens a binary WebSocket (asking for framestream.v1 when `framed`) whose
 * events reach `on` only while `isCurrent(ws)`: a socket replaced by a
 * reconnect must not touch the new connection's state. Throws what the
 * constructor throws (a URL the runtime refuses).
 */
export function openWebSocket(
  WebSocket: WebSocketConstructor,
  url: string,
  framed: boolean,
  isCurrent: (ws: WebSocketLike) => boolean,
  on: SocketEvents,
): WebSocketLike {
  const ws = framed ? new WebSocket(url, SUBPROTOCOL) : new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => isCurrent(ws) && on.open(ws);
  ws.onmessage = (ev: { data: unknown }) => isCurrent(ws) && on.message(ev.data);
  ws.onerror = (ev: { message?: unknown }) => isCurrent(ws) && on.error(typeof ev?.message === 'string' ? ev.message : '');
  ws.onclose = (ev: { code: number; reason: string }) => isCurrent(ws) && on.close(ev.code, ev.reason);
  return ws;
}

/** Closes a socket the client has let go of; none of its events reach the client any more. */
export function closeQuietly(ws: WebSocketLike, code: number, reason: string): void {
  ws.onopen = ws.onmessage = ws.onclose = null;
  // Closing a `ws` socket that is still connecting emits an `error` event,
  // which `ws` throws when nobody listens; keep a listener.
  ws.onerror = () => {};
  ws.close(code, reason);
}
