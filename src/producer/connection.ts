import { PRODUCER_SUBPROTOCOL } from '../protocol/index.js';
import type { ProducerSocket, ProducerWebSocketConstructor } from './types.js';

/** How one connection ended. */
export interface ConnectionEnd {
  /** Close code; 1006 when the socket never opened or dropped without one. */
  code: number;
  reason: string;
  /** The status of a handshake the server answered with something other than 101. */
  httpStatus?: number;
  /** A refused handshake's `Retry-After`, ms. */
  retryAfterMs?: number;
}

export interface ConnectionHandlers {
  text(data: string): void;
  binary(data: Uint8Array): void;
  end(end: ConnectionEnd): void;
}

const OPEN = 1;

/**
 * One WebSocket to the ingest endpoint, from handshake to close. It turns
 * the socket's four callbacks into text messages and exactly one `end`,
 * with the HTTP status of a refused handshake where the socket tells it
 * (`ws` does, through `unexpected-response`; other implementations only in
 * the error message, which is parsed as a fallback).
 */
export class Connection {
  private readonly ws: ProducerSocket;
  private ended = false;
  private refused: { status: number; retryAfterMs?: number } | undefined;
  private failure = '';

  constructor(
    url: string,
    headers: Record<string, string>,
    handshakeTimeoutMs: number,
    WebSocketImpl: ProducerWebSocketConstructor,
    private readonly on: ConnectionHandlers,
  ) {
    const ws = new WebSocketImpl(url, PRODUCER_SUBPROTOCOL, { headers, handshakeTimeout: handshakeTimeoutMs });
    this.ws = ws;
    if (typeof ws.on === 'function') {
      // Listening makes `ws` leave the refused handshake to us: note its
      // status, then abort it, which ends in `onerror` and `onclose` as usual.
      ws.on('unexpected-response', (_req, res: { statusCode?: number; headers?: Record<string, string | undefined> }) => {
        this.refused = { status: res.statusCode ?? 0, retryAfterMs: retryAfterMs(res.headers?.['retry-after']) };
        if (typeof ws.terminate === 'function') ws.terminate();
        else ws.close();
      });
    }
    ws.onmessage = (ev: { data: unknown }) => {
      if (this.ended) return;
      if (typeof ev.data === 'string') this.on.text(ev.data);
      else if (isBinary(ev.data)) this.on.binary(toBytes(ev.data));
      else this.on.text(String(ev.data));
    };
    ws.onerror = (ev: { message?: string; error?: unknown }) => {
      const message = ev.message ?? (ev.error instanceof Error ? ev.error.message : '');
      this.failure ||= message;
      const status = /Unexpected server response: (\d{3})/.exec(message);
      if (status && !this.refused) this.refused = { status: Number(status[1]) };
    };
    ws.onclose = (ev: { code?: number; reason?: unknown }) => {
      const reason = typeof ev.reason === 'string' ? ev.reason : ev.reason ? String(ev.reason) : '';
      this.finish({ code: ev.code ?? 1006, reason });
    };
  }

  /** Whether frames can be written now. */
  get open(): boolean {
    return !this.ended && this.ws.readyState === OPEN;
  }

  /** Bytes `ws` holds for the socket (0 where the implementation does not say). */
  get bufferedAmount(): number {
    return (this.ws as { bufferedAmount?: number }).bufferedAmount ?? 0;
  }

  send(message: Uint8Array | string): void {
    this.ws.send(message);
  }

  /** Closes it; `end` follows once the socket has closed. */
  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === OPEN) this.ws.close(code, reason);
    else if (typeof this.ws.terminate === 'function') this.ws.terminate();
    else this.ws.close();
  }

  private finish(end: ConnectionEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.refused) {
      end.httpStatus = this.refused.status;
      if (this.refused.retryAfterMs !== undefined) end.retryAfterMs = this.refused.retryAfterMs;
      end.reason = `the server answered the handshake with HTTP ${this.refused.status}`;
    } else if (!end.reason && this.failure) {
      end.reason = this.failure;
    }
    this.on.end(end);
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return Buffer.concat(data as Uint8Array[]);
  const view = data as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function isBinary(data: unknown): boolean {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data) || Array.isArray(data);
}

/** `Retry-After` as seconds or an HTTP date, in ms; `undefined` when absent or unreadable. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
