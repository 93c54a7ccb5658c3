import type { Server } from 'node:http';
import WebSocket from 'ws';
import { FrameProducer, type FrameProducerOptions, type ProducerCloseInfo, type ProducerWebSocketConstructor } from '../../src/producer/index.js';
import { SUBPROTOCOL, type FrameStreamError, type IngestServerMessage } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { openViewer, type TestViewer } from '../server/helpers.js';

export const TOKEN = 'producer-secret';
export const INGEST_PATH = '/ingest/model';

/** Everything a test opened, closed after it in reverse order. */
export const cleanups: (() => unknown)[] = [];
export async function runCleanups(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}

export interface Host {
  server: Server;
  stream: FrameStreamServer;
  port: number;
  /** Errors the stream emitted, by code. */
  serverErrors: string[];
  url: string;
  viewer(): Promise<TestViewer>;
  /** Closes the stream and its host server (as a restart or a crash would). */
  stop(): Promise<void>;
}

type IngestOptions = NonNullable<FrameStreamServerOptions['ingest']>;

/** A real stream with an ingest endpoint on a host `http.Server`, on `port` (0: any free one). */
export async function startHost(ingest: Partial<IngestOptions> = {}, options: Partial<FrameStreamServerOptions> = {}, port = 0): Promise<Host> {
  const server = createHostServer();
  const stream = createFrameStreamServer({ server, path: '/ws/model/', ingest: { path: INGEST_PATH, token: TOKEN, ...ingest }, ...options });
  const serverErrors: string[] = [];
  stream.on('error', (e) => serverErrors.push((e as FrameStreamError).code));
  const stop = async () => {
    await stream.close();
    await closeServer(server);
  };
  cleanups.push(stop);
  const bound = port === 0 ? await listen(server) : await listenOn(server, port);
  return {
    server,
    stream,
    port: bound,
    serverErrors,
    url: `ws://127.0.0.1:${bound}${INGEST_PATH}`,
    async viewer() {
      const v = await openViewer(`ws://127.0.0.1:${bound}/ws/model/`, SUBPROTOCOL);
      cleanups.push(() => v.close());
      return v;
    },
    stop,
  };
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(port);
    });
  });
}

/** A producer that records its events; closed after the test. */
export function recordedProducer(options: FrameProducerOptions) {
  const producer = new FrameProducer({ initialDelayMs: 50, maxDelayMs: 200, ...options });
  const errors: FrameStreamError[] = [];
  const closes: ProducerCloseInfo[] = [];
  const demand: boolean[] = [];
  let opens = 0;
  producer.on('error', (e) => errors.push(e));
  producer.on('close', (info) => closes.push(info));
  producer.on('demand', (w) => demand.push(w));
  producer.on('open', () => opens++);
  cleanups.push(() => producer.close());
  return { producer, errors, closes, demand, opens: () => opens };
}

/**
 * A real `ws` socket that also tallies, from what crosses the wire, the
 * frames the producer sent and the credits the server returned, so flow
 * control is checked independently of the producer's own bookkeeping.
 */
export function wireCounter() {
  const wire = { connections: 0, granted: 0, sent: 0, credited: 0, maxInFlight: 0, framesSent: 0 };
  class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols: string | string[], options: WebSocket.ClientOptions) {
      super(url, protocols, options);
      wire.connections++;
      // Registered before the producer's own handler, so a credit is counted before it answers with a frame.
      this.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as IngestServerMessage;
        if (msg.type === 'welcome') Object.assign(wire, { granted: msg.credits, sent: 0, credited: 0 });
        if (msg.type === 'credit') wire.credited += msg.n;
      });
    }

    override send(data: Parameters<WebSocket['send']>[0], ...rest: unknown[]): void {
      wire.sent++;
      wire.framesSent++;
      wire.maxInFlight = Math.max(wire.maxInFlight, wire.sent - wire.credited);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return { wire, WebSocket: CountingWebSocket as unknown as ProducerWebSocketConstructor };
}

/** A copy of `jpeg` carrying `label` in a comment segment: still a valid JPEG, and tellable apart byte for byte. */
export function labelledJpeg(jpeg: Uint8Array, label: string): Buffer {
  const text = Buffer.from(label, 'utf8');
  const segment = Buffer.from([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]);
  return Buffer.concat([jpeg.subarray(0, 2), segment, text, jpeg.subarray(2)]);
}

export { waitFor, solidJpeg, decodeJpeg, solid, channelMeans, type TestViewer } from '../server/helpers.js';
