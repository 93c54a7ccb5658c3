import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { wallClockMs } from '../../dist/index.js';

// A benchmark viewer is a raw TCP socket with a minimal WebSocket reader
// rather than a `ws` client. At 200 viewers the load generator receives over
// a gigabyte per second on the same two cores as the server under test; `ws`
// would reassemble every 216 KB message into one Buffer (a copy) and emit it.
// This reader never copies a payload: it walks the byte stream, keeps the
// first 32 bytes of each binary message (the frame header, see
// src/protocol/frame.ts) and records the time the message's last byte
// arrived. That keeps the generator cheap so the figures describe the server.

const HEADER_BYTES = 32;

/**
 * @typedef {object} ViewerOptions
 * @property {number} port
 * @property {string} path
 * @property {string} [protocol] Subprotocol to ask for; none when undefined.
 * @property {(v: Viewer) => void} [onFrame]
 */

/** One WebSocket viewer that records arrival times and latencies. */
export class Viewer {
  /** @param {ViewerOptions} options */
  constructor(options) {
    this.options = options;
    /** Completed binary messages since the last reset. */
    this.frames = 0;
    /** Text messages ever received (framestream's hello/metrics). */
    this.textMessages = 0;
    /** Binary messages that did not start with a framestream header. */
    this.bareMessages = 0;
    this.totalFrames = 0;
    this.bytes = 0;
    /** @type {number[]} capture → last byte received, ms */
    this.latencies = [];
    /** @type {number[]} encode-done − capture from the header, ms */
    this.encodeMs = [];
    /** @type {number[]} gaps between consecutive arrivals, ms */
    this.gaps = [];
    this.lastArrival = 0;
    this.firstFrameAt = 0;
    this.openedAt = 0;
    this.closed = false;
    this.stalled = false;
    /** @type {Error | null} */
    this.error = null;
    // Parser state.
    this.handshakeDone = false;
    this.pending = Buffer.alloc(0);
    this.wsHeader = Buffer.alloc(14);
    this.wsHeaderLen = 0;
    this.remaining = 0;
    this.opcode = 0;
    this.fin = true;
    this.inMessage = false;
    this.messageIsBinary = false;
    this.frameHead = Buffer.alloc(HEADER_BYTES);
    this.frameHeadLen = 0;
    /** @type {Buffer[]} control frame payload (ping/close), at most 125 bytes */
    this.control = [];
  }

  /** Connects and resolves once the upgrade is accepted. */
  open() {
    const { port, path, protocol } = this.options;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      this.socket = socket;
      const key = randomBytes(16).toString('base64');
      socket.once('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
            (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
            '\r\n',
        );
      });
      const onError = (err) => {
        this.error = err;
        this.closed = true;
        reject(err);
      };
      socket.once('error', onError);
      socket.on('close', () => {
        this.closed = true;
        reject(new Error('closed before the upgrade'));
      });
      socket.on('data', (chunk) => {
        if (this.handshakeDone) return this.#read(chunk);
        this.pending = Buffer.concat([this.pending, chunk]);
        const end = this.pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = this.pending.subarray(0, end).toString('latin1');
        if (!/^HTTP\/1\.1 101/.test(head)) {
          socket.destroy();
          return onError(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        }
        this.handshakeDone = true;
        this.openedAt = wallClockMs();
        socket.off('error', onError);
        socket.on('error', (err) => {
          this.error = err;
        });
        resolve(this);
        const rest = this.pending.subarray(end + 4);
        this.pending = Buffer.alloc(0);
        if (rest.length > 0) this.#read(rest);
      });
    });
  }

  /** Stops reading: the kernel buffers fill and the server sees a slow viewer. */
  stall() {
    this.stalled = true;
    this.socket?.pause();
  }

  /** Starts a new measurement window. */
  reset() {
    this.frames = 0;
    this.latencies = [];
    this.encodeMs = [];
    this.gaps = [];
  }

  close() {
    this.closed = true;
    this.socket?.destroy();
  }

  /** @param {Buffer} chunk */
  #read(chunk) {
    this.bytes += chunk.length;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.remaining === 0 && !this.#headerComplete()) {
        // Collect the 2-14 byte WebSocket frame header.
        this.wsHeader[this.wsHeaderLen++] = chunk[i++];
        if (this.#headerComplete()) this.#startFrame();
        continue;
      }
      const take = Math.min(this.remaining, n - i);
      if (this.opcode >= 8) {
        this.control.push(chunk.subarray(i, i + take));
      } else if (this.messageIsBinary && this.frameHeadLen < HEADER_BYTES) {
        const copy = Math.min(take, HEADER_BYTES - this.frameHeadLen);
        chunk.copy(this.frameHead, this.frameHeadLen, i, i + copy);
        this.frameHeadLen += copy;
      }
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) this.#endFrame();
    }
  }

  #headerComplete() {
    const len = this.wsHeaderLen;
    if (len < 2) return false;
    const b1 = this.wsHeader[1] & 0x7f;
    const masked = (this.wsHeader[1] & 0x80) !== 0;
    const need = 2 + (b1 === 126 ? 2 : b1 === 127 ? 8 : 0) + (masked ? 4 : 0);
    return len >= need;
  }

  #startFrame() {
    const h = this.wsHeader;
    this.fin = (h[0] & 0x80) !== 0;
    const opcode = h[0] & 0x0f;
    const b1 = h[1] & 0x7f;
    this.remaining = b1 === 126 ? h.readUInt16BE(2) : b1 === 127 ? Number(h.readBigUInt64BE(2)) : b1;
    this.opcode = opcode;
    if (opcode === 1 || opcode === 2) {
      this.inMessage = true;
      this.messageIsBinary = opcode === 2;
      this.frameHeadLen = 0;
    }
    this.control = [];
    if (this.remaining === 0) this.#endFrame();
  }

  #endFrame() {
    this.wsHeaderLen = 0;
    const opcode = this.opcode;
    if (opcode >= 8) {
      const payload = Buffer.concat(this.control);
      this.control = [];
      if (opcode === 9) this.#sendControl(0xa, payload);
      else if (opcode === 8) {
        this.#sendControl(0x8, payload.subarray(0, 2));
        this.socket?.end();
      }
      return;
    }
    if (!this.fin) return;
    this.inMessage = false;
    if (!this.messageIsBinary) {
      this.textMessages++;
      return;
    }
    this.#onMessage();
  }

  #onMessage() {
    const now = wallClockMs();
    this.totalFrames++;
    this.frames++;
    if (this.firstFrameAt === 0) this.firstFrameAt = now;
    else this.gaps.push(now - this.lastArrival);
    this.lastArrival = now;
    const head = this.frameHead;
    // A framestream header starts with type 1, codec 1; a bare JPEG with FF D8.
    if (this.frameHeadLen === HEADER_BYTES && head[0] === 1 && head[1] === 1) {
      const capture = head.readDoubleLE(8);
      const encoded = head.readDoubleLE(16);
      this.latencies.push(now - capture);
      this.encodeMs.push(encoded - capture);
    } else {
      this.bareMessages++;
    }
    this.options.onFrame?.(this);
  }

  /** Client frames must be masked (RFC 6455 §5.3); a zero mask is legal. */
  #sendControl(opcode, payload) {
    if (!this.socket || this.socket.destroyed) return;
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    payload.copy(frame, 6);
    this.socket.write(frame);
  }
}
