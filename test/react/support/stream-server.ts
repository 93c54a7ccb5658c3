import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUBPROTOCOL, encodeFrameMessage } from '../../../src/protocol/index.js';
import { closeServer, createHostServer, listen } from '../../support/net.js';

/** The smallest complete JPEG-shaped payload; the hook tests never decode it. */
const PAYLOAD = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]);

/**
 * A bare `ws` server speaking just enough framestream.v1 (hello, frames) to
 * watch what the React layer does to real sockets: how many connections it
 * opens, what it sends, when it closes.
 */
export interface CountingServer {
  url: string;
  /** Connections accepted since start. */
  readonly connections: number;
  /** Sockets open right now. */
  readonly open: number;
  /** Text messages received from clients, parsed. */
  readonly messages: Array<Record<string, unknown>>;
  /** Sends one frame with sequence `seq` to every open socket. */
  sendFrame(seq: number): void;
  close(): Promise<void>;
}

export async function startCountingServer(): Promise<CountingServer> {
  const http: Server = createHostServer();
  const wss = new WebSocketServer({
    server: http,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const sockets = new Set<WebSocket>();
  const messages: Array<Record<string, unknown>> = [];
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        version: 1,
        stream: { width: 4, height: 4, fps: 30, codec: 'jpeg', source: 'test' },
        maxFps: null,
        serverTime: Date.now(),
      }),
    );
  });
  const port = await listen(http);
  return {
    url: `ws://127.0.0.1:${port}/`,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    messages,
    sendFrame(seq) {
      const now = Date.now();
      const message = encodeFrameMessage(
        { seq, captureTime: now, encodedTime: now, width: 4, height: 4, codec: 'jpeg' },
        PAYLOAD,
      );
      for (const ws of sockets) ws.send(message);
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(http);
    },
  };
}
