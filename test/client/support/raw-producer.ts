import WebSocket from 'ws';
import { encodeProducerFrame, PRODUCER_SUBPROTOCOL, type IngestServerMessage } from '../../../src/protocol/index.js';

/**
 * A producer written from docs/producers.md alone, over `ws`: it connects to
 * an ingest endpoint with a token and sends `jpeg` every `intervalMs` while
 * it holds a credit, as a model in another process would. Independent of
 * `framestream/producer`, so a test of the viewer side does not rest on it.
 */
export class RawProducer {
  readonly ws: WebSocket;
  /** Frames sent so far. */
  sent = 0;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  private credits = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(url: string, token: string, private readonly jpeg: Uint8Array, intervalMs = 50) {
    this.ws = new WebSocket(url, PRODUCER_SUBPROTOCOL, { headers: { Authorization: `Bearer ${token}` } });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.once('close', () => resolve()));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`ingest answered HTTP ${res.statusCode}`)));
      this.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as IngestServerMessage;
        if (msg.type === 'welcome') {
          this.credits = msg.credits;
          resolve();
        } else if (msg.type === 'credit') {
          this.credits += msg.n;
        }
      });
      this.ws.once('close', (code) => reject(new Error(`ingest closed with ${code} before its welcome`)));
    });
    this.timer = setInterval(() => this.sendOne(), intervalMs);
  }

  /** Leaves as a producer that stops does: a normal close. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    await this.closed;
  }

  private sendOne(): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.credits <= 0) return;
    this.credits--;
    this.sent++;
    const header = { format: 'jpeg', target: 0, width: 0, height: 0, channels: 0, frameId: this.sent, metrics: { inferenceMs: 7 } } as const;
    this.ws.send(encodeProducerFrame(header, this.jpeg));
  }
}
