import { connect, type Socket } from 'node:net';
import { waitFor } from './wait.js';

/**
 * Hostile clients built by hand on raw `net` sockets: partial handshakes,
 * half-open connections, garbage after the upgrade, frames that lie about
 * their length. Well-formed clients use `ws` instead (support.ts).
 */

/** A raw TCP connection that records everything the server sends. */
export class RawClient {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  ended = false;
  /** The server closed its side (FIN). */
  finReceived = false;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;

  /** With `allowHalfOpen` the client keeps its side open after the server's FIN, as a hostile one may. */
  constructor(port: number, { allowHalfOpen = false } = {}) {
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
    this.socket.on('error', () => {}); // resets are expected here
    this.socket.on('data', (d) => (this.data = Buffer.concat([this.data, d])));
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => this.socket.once('close', () => ((this.ended = true), resolve())));
    this.socket.once('end', () => (this.finReceived = true));
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The status code of the first HTTP response line, once one has arrived. */
  status(): number | undefined {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.data.toString('latin1'));
    return m ? Number(m[1]) : undefined;
  }

  async waitForStatus(timeoutMs = 20_000): Promise<number> {
    await waitFor(() => this.status() !== undefined || this.ended, 'an HTTP response', timeoutMs);
    const s = this.status();
    if (s === undefined) throw new Error(`connection closed without a response; got ${JSON.stringify(this.data.toString('latin1'))}`);
    return s;
  }

  /** Bytes after the HTTP response head (WebSocket frames once upgraded). */
  body(): Buffer {
    const end = this.data.indexOf('\r\n\r\n');
    return end === -1 ? Buffer.alloc(0) : this.data.subarray(end + 4);
  }

  /** The complete server→client WebSocket frames received so far. */
  frames(): { opcode: number; payload: Buffer }[] {
    return parseServerFrames(this.body());
  }

  /** The code of the server's close frame, once one has arrived. */
  closeCode(): number | undefined {
    const close = this.frames().find((f) => f.opcode === 8);
    return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The request head of a WebSocket upgrade, as a browser would send it. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}, method = 'GET'): string {
  const all: Record<string, string> = {
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** Opens a raw socket, sends an upgrade and resolves once the server has answered 101. */
export async function rawUpgrade(port: number, path = '/ws/test/', headers: Record<string, string> = {}): Promise<RawClient> {
  const c = new RawClient(port);
  await c.connected;
  c.write(upgradeRequest(path, headers));
  const status = await c.waitForStatus();
  if (status !== 101) throw new Error(`expected 101, got ${status}`);
  return c;
}

/**
 * One masked client→server WebSocket frame (RFC 6455 §5.2), FIN set.
 * Opcode 1 = text, 2 = binary, 8 = close, 9 = ping.
 */
export function clientFrame(opcode: number, payload: Buffer | string, { fin = true, declaredLength }: { fin?: boolean; declaredLength?: number } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = declaredLength ?? body.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  if (len < 126) head.push(0x80 | len);
  else if (len < 65536) head.push(0x80 | 126, len >> 8, len & 0xff);
  else {
    head.push(0x80 | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(len));
    head.push(...big);
  }
  const mask = [0x12, 0x34, 0x56, 0x78];
  const masked = Buffer.from(body.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), Buffer.from(mask), masked]);
}

/** Splits unmasked server→client WebSocket frames; an incomplete tail is left out. */
export function parseServerFrames(buf: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const opcode = buf[i]! & 0x0f;
    let len = buf[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      if (at + 2 > buf.length) break;
      len = buf.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      if (at + 8 > buf.length) break;
      len = Number(buf.readBigUInt64BE(at));
      at += 8;
    }
    if (at + len > buf.length) break;
    out.push({ opcode, payload: buf.subarray(at, at + len) });
    i = at + len;
  }
  return out;
}
