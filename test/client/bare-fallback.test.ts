import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FrameStreamClient, SUBPROTOCOL, type FrameStreamClientOptions } from '../../src/client/index.js';
import { TestStreamServer, type TestStreamOptions } from './support/stream-server.js';
import { browserLikeWebSocket, nextEvent } from './support/wait.js';

const servers: TestStreamServer[] = [];
const clients: FrameStreamClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(options: Partial<TestStreamOptions> = {}) {
  const server = await TestStreamServer.start({ mode: 'framed', ...options });
  servers.push(server);
  return server;
}

// A browser reports every failed handshake alike, which is what makes the
// `auto` mode's one try without the subprotocol ambiguous.
function makeClient(server: TestStreamServer, options: Partial<FrameStreamClientOptions> = {}) {
  const client = new FrameStreamClient({
    url: server.url,
    WebSocket: browserLikeWebSocket(WebSocket),
    initialDelayMs: 20,
    jitter: 0,
    ...options,
  });
  clients.push(client);
  return client;
}

const connected = (client: FrameStreamClient) => nextEvent(client, 'open');

describe('FrameStreamClient', () => {
  describe("#mode 'auto'", () => {
    it('asks for framestream.v1 again on the next connect() after a refused handshake made it fall back to bare', async () => {
      // The first handshake is refused (a full server, a 401), the try
      // without the subprotocol gets through: that says nothing about the
      // server's wire format, so it must not stick.
      const server = await startServer({ refuse: (n) => (n === 0 ? 503 : false) });
      const client = makeClient(server);
      client.connect();
      expect((await connected(client)).framed).toBe(false);
      client.disconnect();
      client.connect();
      const open = await connected(client);
      expect(open.framed).toBe(true);
      expect(client.getStats().framed).toBe(true);
      expect(server.askedFor.at(-1)).toEqual([SUBPROTOCOL]);
    });

    it('never falls back to bare on a reconnect once the server has answered framestream.v1', async () => {
      const server = await startServer();
      const client = makeClient(server, { stableAfterMs: 0 });
      client.connect();
      expect((await connected(client)).framed).toBe(true);
      // The server drops the connection and refuses the next handshake.
      const refuseFrom = server.handshakes;
      server.opts.refuse = (n) => (n === refuseFrom ? 503 : false);
      for (const ws of server.sockets) ws.terminate();
      const open = await connected(client);
      expect(open.framed).toBe(true);
      expect(client.getStats().framed).toBe(true);
      expect(server.askedFor.slice(refuseFrom)).toEqual([[SUBPROTOCOL], [SUBPROTOCOL]]);
    });

    it('still finds a bare-JPEG server, and stays bare across its reconnects', async () => {
      const server = await startServer({ mode: 'bare' });
      const client = makeClient(server);
      client.connect();
      expect((await connected(client)).framed).toBe(false);
      const before = server.handshakes;
      for (const ws of server.sockets) ws.terminate();
      expect((await connected(client)).framed).toBe(false);
      expect(server.askedFor.slice(before)).toEqual([[]]);
    });
  });
});
