import { createServer } from 'node:http';
import { randomFillSync } from 'node:crypto';
import sharp from 'sharp';
import { encodeFrameMessage, wallClockMs } from '../../dist/index.js';

// Every server under test streams the same thing: 512×512 RGB noise, JPEG
// quality 90, 30 FPS. The settings come from the parent through the
// environment so all three are configured from one place (bench/run.mjs).
export const SETTINGS = {
  width: Number(process.env.BENCH_WIDTH ?? 512),
  height: Number(process.env.BENCH_HEIGHT ?? 512),
  fps: Number(process.env.BENCH_FPS ?? 30),
  quality: Number(process.env.BENCH_QUALITY ?? 90),
};

/** Fills a fresh RGB buffer with random bytes, the test pattern. */
export function noisePixels(pixels = Buffer.allocUnsafe(SETTINGS.width * SETTINGS.height * 3)) {
  randomFillSync(pixels);
  return pixels;
}

/**
 * One bare sharp encode with the encoder settings framestream uses (standard
 * Huffman tables, `optimiseCoding: false`, which is PIL's default too). Every
 * baseline encodes exactly like the package, so the figures compare
 * architectures, not an encoder flag that alone changes encode time about
 * 2.5×.
 */
export function encodeJpeg(pixels) {
  return sharp(pixels, { raw: { width: SETTINGS.width, height: SETTINGS.height, channels: 3 } })
    .jpeg({ quality: SETTINGS.quality, optimiseCoding: false })
    .toBuffer();
}

// The baselines prepend framestream's 32-byte header (capture time, encode-done
// time) to their JPEG so the load generator measures all three servers the
// same way. It costs one 32-byte write plus the copy into one buffer, which a
// baseline would pay anyway to attach any timestamp.
export function framed(seq, captureTime, encodedTime, jpeg) {
  return encodeFrameMessage(
    { seq, captureTime, encodedTime, width: SETTINGS.width, height: SETTINGS.height, codec: 'jpeg' },
    jpeg,
    undefined,
    (size) => Buffer.allocUnsafe(size),
  );
}

export { wallClockMs };

/**
 * Starts an http server on an ephemeral loopback port, lets `attach` add the
 * WebSocket and snapshot handling, tells the parent the port over IPC and
 * exits when the parent says so (or disappears). `attach` returns how to stop
 * and, optionally, how to count frames produced (asked for over IPC).
 * @typedef {{ stop: () => Promise<void> | void, stats?: () => { framesProduced: number } & Record<string, unknown> }} Attached
 * @param {(server: import('node:http').Server) => Attached | Promise<Attached>} attach
 * @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void} [onRequest]
 */
export async function runServer(attach, onRequest) {
  const server = createServer((req, res) => {
    if (onRequest && !res.headersSent) onRequest(req, res);
  });
  const { stop, stats } = await attach(server);
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: server.address().port });
  });
  const shutdown = async () => {
    await stop?.();
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('message', (msg) => {
    if (msg?.type === 'stop') shutdown();
    if (msg?.type === 'stats') process.send?.({ type: 'stats', id: msg.id, stats: stats?.() ?? null });
  });
  process.on('disconnect', () => process.exit(0));
}
