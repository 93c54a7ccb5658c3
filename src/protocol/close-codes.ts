/**
 * Application close codes (RFC 6455 reserves 4000-4999 for applications).
 *
 * A browser reports every refused WebSocket handshake as the same close
 * 1006 with no status, so a refusal the client must act on (stop retrying,
 * show a reason) is told by accepting the handshake and closing at once
 * with one of these. Only `framestream.v1` clients get them; a plain
 * WebSocket client is refused with the matching HTTP status as before.
 */
export const CLOSE_CODES = {
  /** `authorize` said no (HTTP 401). Retrying with the same credentials cannot help. */
  unauthorized: 4401,
  /** The page's origin is not in `allowedOrigins` (HTTP 403). */
  forbiddenOrigin: 4403,
  /** The stream is at `maxClients` (HTTP 503); worth retrying later. */
  full: 4503,
  /** The session's model ended it (the session function returned, or called `end()`). Not retried. */
  sessionEnded: 4001,
  /** The session reached `sessionTimeout`. Not retried: reconnecting joins the queue again. */
  sessionTimeout: 4408,
} as const;

export type FrameStreamCloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
