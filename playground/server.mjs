// `npm start`: serves the built playground (playground/dist) and its streams
// from one plain Node HTTP server, page and WebSockets on one port.
//
//   PORT            port to listen on (0 picks a free one)        default 8080
//   HOST            interface to listen on                        default 0.0.0.0
//   FRAMESTREAM_FPS frames per second each stream produces        default 30
//   FRAMESTREAM_TOKEN the token a producer must send to the       default playground
//                   Producer stream's ingest endpoint
//   FRAMESTREAM_MODEL_DELAY_MS  ms the img2img model adds per     default 0
//                   frame, to act like a slower model
//   FRAMESTREAM_MAX_SESSIONS    img2img sessions at once          default 4
//   FRAMESTREAM_SESSION_TIMEOUT_MS  how long one may run, 0 none  default 300000
//   FRAMESTREAM_IMG2IMG  `producer`: the img2img sessions are      default model
//                   served by a producer on /ingest/img2img (e.g.
//                   python/examples/session_filter.py) instead of
//                   the model in models/img2img.mjs
//   FRAMESTREAM_REDIS_URL  join the broadcast streams with other      default none
//                   playground processes through this Redis, e.g.
//                   redis://127.0.0.1:6379 (docs/scaling.md)
//
// It uses the built package (`../dist`), exactly what a user installs, which
// `npm start`'s prestart step builds.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFrameStreamServer } from '../dist/server/index.js';
import { INTERACTIVE_DEFAULTS, img2imgStreamOptions } from './interactive.mjs';
import { PLAYGROUND_STREAMS, streamOptions } from './streams.mjs';

const ROOT = fileURLToPath(new URL('./dist/', import.meta.url));

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

function readIntEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer in [${min}, ${max}], got \`${raw}\``);
  }
  return value;
}

const port = readIntEnv('PORT', 8080, 0, 65535);
const fps = readIntEnv('FRAMESTREAM_FPS', 30, 1, 240);
const host = process.env.HOST || '0.0.0.0';
// The examples in python/ and docs/producers.md default to `playground`.
const token = process.env.FRAMESTREAM_TOKEN || 'playground';
const IMG2IMG_INGEST = '/ingest/img2img';
const img2imgServer = process.env.FRAMESTREAM_IMG2IMG || 'model';
if (img2imgServer !== 'model' && img2imgServer !== 'producer') {
  throw new RangeError(`Expected \`FRAMESTREAM_IMG2IMG\` to be 'model' or 'producer', got \`${img2imgServer}\``);
}
const interactive = {
  delayMs: readIntEnv('FRAMESTREAM_MODEL_DELAY_MS', INTERACTIVE_DEFAULTS.delayMs, 0, 5000),
  maxSessions: readIntEnv('FRAMESTREAM_MAX_SESSIONS', INTERACTIVE_DEFAULTS.maxSessions, 1, 1000),
  sessionTimeout: readIntEnv('FRAMESTREAM_SESSION_TIMEOUT_MS', INTERACTIVE_DEFAULTS.sessionTimeout, 0, 2 ** 31 - 1),
};

/**
 * Maps a URL path to a file under ROOT, or null when it would leave ROOT.
 * Decoding first and checking the resolved path afterwards catches `..`,
 * `%2e%2e` and encoded separators alike.
 */
function resolveStatic(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = resolve(ROOT, `.${decoded}`);
  if (file !== ROOT.slice(0, -1) && !file.startsWith(ROOT)) return null;
  return file;
}

async function fileOrNull(file) {
  try {
    const info = await stat(file);
    return info.isFile() ? info : null;
  } catch {
    return null;
  }
}

async function serveStatic(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed');
    return;
  }
  const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  const candidate = resolveStatic(pathname);
  if (candidate === null) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request');
    return;
  }
  let file = candidate;
  let info = await fileOrNull(file);
  if (!info) {
    // A path with an extension is a missing asset (404); anything else is an
    // app route, answered with the page (the single-page-app fallback).
    if (extname(pathname) !== '') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    file = join(ROOT, 'index.html');
    info = await fileOrNull(file);
    if (!info) {
      res
        .writeHead(503, { 'content-type': 'text/plain' })
        .end('The playground is not built: run `npm run build:playground` (or `npm start`).');
      return;
    }
  }
  // Vite fingerprints everything under assets/, so it may be cached for good;
  // the page itself must be revalidated to pick up a new build.
  const immutable = file.startsWith(join(ROOT, 'assets') + sep);
  res.writeHead(200, {
    'content-type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

const server = createServer((req, res) => {
  serveStatic(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('Internal Server Error');
  });
});
// Each stream takes only its own WebSocket and snapshot paths and hands every
// other request to the handler above.
// The Producer stream takes its frames from a producer on its ingest path;
// what goes wrong there (a wrong token, a malformed frame) is printed, since
// the producer is someone else's program.
// With FRAMESTREAM_REDIS_URL, every playground process on that Redis shows
// the same frames: one of them makes each stream's frames, the others relay.
const redisUrl = process.env.FRAMESTREAM_REDIS_URL || undefined;
const hub = redisUrl ? (await import('../dist/redis/index.js')).redisHub({ url: redisUrl }) : undefined;
const streams = PLAYGROUND_STREAMS.map((entry) => {
  const stream = createFrameStreamServer({ server, ...streamOptions(entry, { fps, token }), ...(hub && { hub }) });
  stream.on('error', (err) => {
    if (entry.ingestPath || err.code.startsWith('ERR_HUB')) console.warn(`framestream playground: ${entry.label}: ${err.code} ${err.message}`);
  });
  return stream;
});
// The img2img stream: a private session per viewer, its camera frames and
// prompt through the model in models/img2img.mjs, or through a producer in
// another process with FRAMESTREAM_IMG2IMG=producer.
const img2img = createFrameStreamServer({
  server,
  ...img2imgStreamOptions({
    ...interactive,
    fps,
    onError: (err) => console.warn(`framestream playground: img2img: ${err.message}`),
  }),
  ...(img2imgServer === 'producer' && { session: 'producer', ingest: { path: IMG2IMG_INGEST, token } }),
});
if (img2imgServer === 'producer') img2img.on('error', (err) => console.warn(`framestream playground: img2img: ${err.code} ${err.message}`));
streams.push(img2img);

server.once('error', (err) => {
  console.error(`framestream playground: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  const { port: actual } = server.address();
  console.log(`framestream playground: http://localhost:${actual}`);
  for (const { label, ingestPath } of PLAYGROUND_STREAMS) {
    if (!ingestPath) continue;
    console.log(`framestream playground: ${label} ingest ws://localhost:${actual}${ingestPath} (token: ${token})`);
  }
  if (hub) console.log(`framestream playground: joined to the other nodes on ${redisUrl} as node ${hub.nodeId}`);
  if (img2imgServer === 'producer') {
    console.log(`framestream playground: img2img sessions served by a producer at ws://localhost:${actual}${IMG2IMG_INGEST} (token: ${token})`);
  }
});

let closing = false;
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  // Streams first, so viewers get a clean close frame, then the server.
  await Promise.allSettled(streams.map((stream) => stream.close()));
  await hub?.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
  // Never hang on a stubborn socket: the process is going away anyway.
  setTimeout(() => process.exit(0), 2000).unref();
  console.log(`framestream playground: closed (${signal})`);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
