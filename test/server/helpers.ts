import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import WebSocket from 'ws';
import { decodeFrameMessage, parseServerMessage, type DecodedFrame, type ServerMessage } from '../../src/protocol/index.js';

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. Never sleeps a fixed time. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const portOf = (server: Server): number => (server.address() as AddressInfo).port;

/**
 * A WebSocket viewer that records everything it receives. With `protocol`
 * it is a framestream.v1 client; without, a plain client like the original
 * app's frontend or websocat.
 */
export class TestViewer {
  readonly ws: WebSocket;
  readonly binary: Buffer[] = [];
  readonly messages: ServerMessage[] = [];
  /** Every text message as received, including ones that are not framestream messages. */
  readonly texts: string[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;

  constructor(url: string, protocol?: string, options: WebSocket.ClientOptions = {}) {
    this.ws = protocol ? new WebSocket(url, protocol, options) : new WebSocket(url, options);
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary.push(data);
      else {
        const text = data.toString('utf8');
        this.texts.push(text);
        try {
          this.messages.push(parseServerMessage(text));
        } catch {
          // Not a framestream message; kept in `texts` only.
        }
      }
    });
    this.ws.on('close', (code) => (this.closeCode = code));
    this.ws.on('error', () => {}); // refused handshakes are asserted through `opened`
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  /** Binary messages decoded as framestream.v1 frames. */
  frames(): DecodedFrame[] {
    return this.binary.map((b) => decodeFrameMessage(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  }

  ofType<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((r) => this.ws.once('close', () => r()));
    this.ws.terminate();
    await closed;
  }
}

/** Opens a viewer and waits for the handshake. */
export async function openViewer(url: string, protocol?: string, options?: WebSocket.ClientOptions): Promise<TestViewer> {
  const v = new TestViewer(url, protocol, options);
  await v.opened;
  return v;
}

/** Decodes a JPEG to raw pixels (the decoder's channel count). */
export async function decodeJpeg(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Mean of each channel over the whole image. */
export function channelMeans(img: { data: Buffer; channels: number }): number[] {
  const sums = new Array<number>(img.channels).fill(0);
  for (let i = 0; i < img.data.length; i++) sums[i % img.channels]! += img.data[i]!;
  return sums.map((s) => s / (img.data.length / img.channels));
}

/** A solid-colour image as raw pixels. */
export function solid(width: number, height: number, colour: number[]): Uint8Array {
  const out = new Uint8Array(width * height * colour.length);
  for (let i = 0; i < out.length; i++) out[i] = colour[i % colour.length]!;
  return out;
}

/** A solid-colour JPEG, encoded by sharp. */
export function solidJpeg(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp(Buffer.from(solid(width, height, rgb)), { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}

/** Sends a raw HTTP upgrade and resolves with the status line the server answers. */
export async function rawUpgradeStatus(port: number, path: string, headers: Record<string, string> = {}): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`,
      );
    });
    let text = '';
    socket.setTimeout(15_000, () => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade on ${path}`));
    });
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) {
        socket.destroy();
        resolve(text.slice(0, text.indexOf('\r\n')));
      }
    });
    socket.on('error', reject);
  });
}
