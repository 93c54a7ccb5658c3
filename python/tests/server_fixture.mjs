// The real framestream server for the Python producer's tests.
//
//   node python/tests/server_fixture.mjs [--port N] [--credits N]
//
// Serves a stream { path: '/ws/model/', ingest: { path: '/ingest/model',
// token: 'secret' } } (and /ws/replace/ with `replace: true` on
// /ingest/replace, and /ws/live/ with `session: 'producer'` on /ingest/live) on 127.0.0.1, and prints {"port": N} on stdout once it
// listens. SIGTERM closes the streams (producers see 1001) and exits. Beside the stream it answers a few /fixture/ routes the tests use
// to look at what the server saw:
//
//   GET  /fixture/stats            upgrade requests per path, and the proxy's counts
//   POST /fixture/jpeg             a JPEG in; its size and mean colour (sharp) out
//   POST /fixture/producer-frame   a producer frame in; what the TypeScript decoder reads
//   GET  /fixture/make-jpeg?width=&height=&r=&g=&b=   a one-colour JPEG
//
// and /proxy/ingest/model, a WebSocket relay to the ingest endpoint that
// counts frames going in and credits coming back, so a test can measure the
// frames in flight on the server's side of the wire.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';

const dist = new URL('../../dist/', import.meta.url);
if (!existsSync(new URL('server/index.js', dist))) {
  console.error('server_fixture: dist/server/index.js is missing; run `npm run build` first');
  process.exit(2);
}
const { createFrameStreamServer } = await import(new URL('server/index.js', dist).href);
const { decodeProducerFrame } = await import(new URL('index.js', dist).href);
const { WebSocket, WebSocketServer } = await import('ws');
const { default: sharp } = await import('sharp');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const INGEST = '/ingest/model';
const PROXY = '/proxy/ingest/model';

const upgrades = {};
const proxy = { connections: 0, framesForwarded: 0, creditsReturned: 0, inFlight: 0, maxInFlight: 0 };

const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function fixtureRoute(req, res) {
  const { pathname } = new URL(req.url, 'http://x');
  try {
    if (pathname === '/fixture/stats') return json(res, 200, { upgrades, proxy });
    if (pathname === '/fixture/jpeg') {
      const image = sharp(await readBody(req));
      const [meta, stats] = await Promise.all([image.metadata(), image.stats()]);
      return json(res, 200, {
        format: meta.format,
        width: meta.width,
        height: meta.height,
        channels: meta.channels,
        mean: stats.channels.map((c) => c.mean),
      });
    }
    if (pathname === '/fixture/make-jpeg') {
      const q = new URL(req.url, 'http://x').searchParams;
      const n = (k) => Number(q.get(k));
      const jpeg = await sharp({
        create: { width: n('width'), height: n('height'), channels: 3, background: { r: n('r'), g: n('g'), b: n('b') } },
      })
        .jpeg({ quality: 90 })
        .toBuffer();
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      return res.end(jpeg);
    }
    if (pathname === '/fixture/producer-frame') {
      const body = await readBody(req);
      const { header, payload } = decodeProducerFrame(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      return json(res, 200, { header, payloadBytes: payload.byteLength, payloadFirst: Array.from(payload.subarray(0, 8)) });
    }
  } catch (err) {
    return json(res, 400, { error: String(err?.message ?? err), code: err?.code });
  }
  return false;
}

const server = createServer((req, res) => {
  if (req.url.startsWith('/fixture/')) void fixtureRoute(req, res);
  // Anything else is the stream's (its snapshot route is off) or a 404.
  else if (!res.headersSent) setImmediate(() => res.headersSent || (res.writeHead(404), res.end()));
});

// Counted before anything handles the upgrade, so a test sees every attempt
// (the 401s too) and can tell a producer that retries slowly from one that
// hammers.
server.on('upgrade', (req) => {
  const { pathname } = new URL(req.url, 'http://x');
  upgrades[pathname] = (upgrades[pathname] ?? 0) + 1;
});

const relay = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] ?? false });
server.on('upgrade', (req, socket, head) => {
  if (new URL(req.url, 'http://x').pathname !== PROXY) return;
  relay.handleUpgrade(req, socket, head, (down) => {
    const up = new WebSocket(`ws://127.0.0.1:${server.address().port}${INGEST}`, down.protocol, {
      headers: { authorization: req.headers.authorization ?? '' },
    });
    const early = [];
    proxy.connections++;
    down.on('message', (data, isBinary) => {
      if (isBinary) {
        proxy.framesForwarded++;
        proxy.inFlight++;
        proxy.maxInFlight = Math.max(proxy.maxInFlight, proxy.inFlight);
      }
      if (up.readyState === WebSocket.OPEN) up.send(data, { binary: isBinary });
      else early.push([data, isBinary]);
    });
    up.on('open', () => early.splice(0).forEach(([d, b]) => up.send(d, { binary: b })));
    up.on('message', (data, isBinary) => {
      if (!isBinary) {
        const msg = JSON.parse(data.toString('utf8'));
        if (msg.type === 'welcome') proxy.inFlight = 0;
        if (msg.type === 'credit') {
          proxy.creditsReturned += msg.n;
          proxy.inFlight -= msg.n;
        }
      }
      down.send(data, { binary: isBinary });
    });
    const sendable = (code) => (code >= 4000 && code < 5000) || [1000, 1001, 1008, 1009, 1011].includes(code);
    up.on('close', (code, reason) => down.close(sendable(code) ? code : 1011, reason));
    up.on('error', () => down.close(1011, 'upstream failed'));
    down.on('close', () => up.close());
  });
});

let streams;
try {
  streams = [
    createFrameStreamServer({
      server,
      path: '/ws/model/',
      ingest: { path: INGEST, token: 'secret', credits: arg('credits', 2) },
    }),
    // A second stream whose newer producer replaces the older one (4410).
    createFrameStreamServer({ server, path: '/ws/replace/', ingest: { path: '/ingest/replace', token: 'secret', replace: true } }),
    // An interactive stream whose sessions a producer serves (?sessions=1).
    createFrameStreamServer({
      server,
      path: '/ws/live/',
      session: 'producer',
      ingest: { path: '/ingest/live', token: 'secret', sessionInfo: (s) => ({ viewer: s.viewer?.id ?? null }) },
    }),
  ];
} catch (err) {
  console.error(`server_fixture: createFrameStreamServer refused the ingest option (${err.message}); rebuild dist with \`npm run build\``);
  process.exit(2);
}
for (const stream of streams) stream.on('error', (err) => console.error(`server_fixture: stream error ${err.code}: ${err.message}`));

server.listen(arg('port', 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});

const shutdown = async () => {
  await Promise.all(streams.map((stream) => stream.close()));
  server.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
