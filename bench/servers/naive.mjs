// Baseline 1, "naive": the server a user writes by hand with ws + sharp. Each
// connection runs its own loop that makes a frame, encodes it for that one
// viewer and sends it without looking at bufferedAmount. Encode cost grows
// with the viewer count and a slow viewer's backlog grows without bound.
import { WebSocketServer } from 'ws';
import { SETTINGS, encodeJpeg, framed, noisePixels, runServer, wallClockMs } from './common.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function streamTo(ws) {
  const interval = 1000 / SETTINGS.fps;
  let next = performance.now();
  let seq = 0;
  while (ws.readyState === ws.OPEN) {
    const capture = wallClockMs();
    const jpeg = await encodeJpeg(noisePixels());
    if (ws.readyState !== ws.OPEN) break;
    ws.send(framed(seq++, capture, wallClockMs(), jpeg));
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else next = performance.now();
  }
}

await runServer(
  (server) => {
    const wss = new WebSocketServer({ server, path: '/stream', perMessageDeflate: false });
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      streamTo(ws).catch(() => ws.terminate());
    });
    return { stop: () => new Promise((resolve) => wss.close(() => resolve())) };
  },
  (req, res) => {
    if (req.url !== '/snapshot') {
      res.writeHead(404).end();
      return;
    }
    // A snapshot is encoded per request: the obvious hand-written route.
    encodeJpeg(noisePixels()).then(
      (jpeg) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg),
      () => res.writeHead(500).end(),
    );
  },
);
