// Baseline 2, "ceiling": one JPEG encoded at start-up and broadcast to every
// viewer at the stream's frame rate. No encoding, no pixel work: what is left
// is the cost of moving bytes through ws and the kernel, which no real server
// can undercut. It skips a socket that still holds more than a frame, as
// framestream does; without that one check a single slow viewer's backlog
// grows without bound and the "ceiling" collapses below what a real server
// delivers, which would make it no upper bound at all.
import { WebSocketServer } from 'ws';
import { SETTINGS, encodeJpeg, framed, noisePixels, runServer, wallClockMs } from './common.mjs';

const jpeg = await encodeJpeg(noisePixels());

await runServer(
  (server) => {
    const wss = new WebSocketServer({ server, path: '/stream', perMessageDeflate: false });
    wss.on('connection', (ws) => ws.on('error', () => {}));
    const interval = 1000 / SETTINGS.fps;
    let next = performance.now();
    let seq = 0;
    let timer;
    // Scheduled against absolute times so the rate does not drift below the
    // target when a tick runs late.
    const tick = () => {
      const now = wallClockMs();
      const message = framed(seq++, now, now, jpeg);
      const behind = Math.max(64 * 1024, message.byteLength);
      for (const ws of wss.clients) {
        if (ws.readyState === ws.OPEN && ws.bufferedAmount <= behind) ws.send(message);
      }
      next += interval;
      const wait = next - performance.now();
      if (wait < -interval) next = performance.now();
      timer = setTimeout(tick, Math.max(0, wait));
    };
    timer = setTimeout(tick, interval);
    return {
      stop() {
        clearTimeout(timer);
        return new Promise((resolve) => wss.close(() => resolve()));
      },
      stats: () => ({ framesProduced: seq }),
    };
  },
  (req, res) => {
    if (req.url !== '/snapshot') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg);
  },
);
