// One framestream node of a cluster test, in its own process (forked with
// IPC): an http server on a free loopback port, one stream joined to the
// others through Redis, with an ingest endpoint for the producer process.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFrameStreamServer } from '../../../src/server/index.js';
import { redisHub } from '../../../src/redis/index.js';

const hub = redisHub({ url: process.env.REDIS_URL!, prefix: process.env.PREFIX!, maxReconnectDelayMs: 200 });
const http = createServer();
const stream = createFrameStreamServer({ server: http, hub, width: 64, height: 64, ingest: { token: 'cluster-test' } });
const errors: string[] = [];
stream.on('error', (err) => errors.push(err.code));

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.send!({ ready: true, port, path: stream.path, ingestPath: `${stream.path.replace(/\/$/, '')}/producer` });
});

process.on('message', (msg: { id: number; ask: string }) => {
  if (msg.ask === 'stats') {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send!({ id: msg.id, stats: stream.getStats(), heapUsed: process.memoryUsage().heapUsed, hubConnected: hub.connected, errors });
  }
});
process.on('disconnect', () => process.exit(0));
