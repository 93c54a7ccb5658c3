// The ingest figure's server: the built `framestream/server` entry with two
// streams on one http.Server, so both paths run in the same process with the
// same heap and the same sharp:
//
// - /stream takes its frames from a producer in another process through the
//   ingest endpoint (/ingest, token INGEST_TOKEN);
// - /push takes the same frames from `push()` in this process, paced here at
//   the stream's rate by the same drift-free schedule the producer uses.
//
// Each frame carries metrics `{ id, sentAt }`: the sender's frame number and
// its wall clock (performance.timeOrigin + performance.now()) just before the
// frame left it, which the viewer compares with its own clock on arrival.
// The parent drives the push pacer and reads counters over IPC
// ({ type: 'call', id, cmd, args } → { type: 'result', id, result }).
import { createRequire } from 'node:module';
import { createFrameStreamServer } from '../../dist/server/index.js';
import { INGEST_PATH, INGEST_TOKEN, STREAM_PATHS, benchFrames } from '../lib/ingest.mjs';
import { SETTINGS, runServer, wallClockMs } from './common.mjs';

const common = { width: SETTINGS.width, height: SETTINGS.height, fps: SETTINGS.fps, quality: SETTINGS.quality };
const frames = {
  jpeg: await benchFrames({ format: 'jpeg', count: 8, ...common }),
  float32: await benchFrames({ format: 'float32', count: 4, ...common }),
};
// Whether ws (as the package resolves it) finds its optional native
// unmasking addon: without it a producer's masked frames are unmasked in JS.
let bufferutil = false;
try {
  createRequire(createRequire(import.meta.url).resolve('ws')).resolve('bufferutil');
  bufferutil = true;
} catch {
  // not installed
}
const jpegBytes = Math.round(frames.jpeg.reduce((a, f) => a + f.byteLength, 0) / frames.jpeg.length);
let errors = 0;
let ingest;
let push;

await runServer((server) => {
  ingest = createFrameStreamServer({ server, path: STREAM_PATHS.ingest, snapshotPath: false, ...common, ingest: { path: INGEST_PATH, token: INGEST_TOKEN } });
  push = createFrameStreamServer({ server, path: STREAM_PATHS.push, snapshotPath: false, source: 'push', ...common });
  // Runtime errors must not crash the benchmark; they are counted instead.
  ingest.on('error', () => errors++);
  push.on('error', () => errors++);
  return {
    async stop() {
      pacer?.stop();
      await Promise.all([ingest.close(), push.close()]);
    },
  };
});

/** @type {{ stop(): void, ids: number[], format: string } | undefined} */
let pacer;

/** Pushes the cycled frames at the stream's rate, deadlines t0 + n × interval. */
function startPush({ format, firstId }) {
  pacer?.stop();
  const list = frames[format];
  const interval = 1000 / SETTINGS.fps;
  const ids = [];
  let id = firstId;
  let next = performance.now();
  let timer;
  const tick = () => {
    const f = list[id % list.length];
    const frame = format === 'jpeg' ? f : { data: f, width: SETTINGS.width, height: SETTINGS.height, channels: 3 };
    ids.push(id);
    push.push(frame, { id, sentAt: wallClockMs() });
    id++;
    next += interval;
    // More than a frame behind (a busy machine): skip to the next deadline
    // instead of bursting, like the producer and the stream's own schedule.
    const now = performance.now();
    if (next < now - interval) next = now;
    timer = setTimeout(tick, Math.max(0, next - now));
  };
  tick();
  pacer = { format, ids, stop: () => clearTimeout(timer) };
}

const calls = {
  startPush,
  /** How many frames were pushed so far, and the ids of those from index `from` on. */
  markPush: ({ from }) => ({ count: pacer?.ids.length ?? 0, ids: (pacer?.ids ?? []).slice(from) }),
  stopPush() {
    pacer?.stop();
    const ids = pacer?.ids ?? [];
    pacer = undefined;
    return { pushed: ids.length };
  },
  // process.cpuUsage covers every thread of the process (libvips encodes on
  // its own), like /proc/<pid>/stat, which the other figures read.
  stats() {
    const u = process.cpuUsage();
    return { cpuMs: (u.user + u.system) / 1000, errors, bufferutil, jpegBytes, ingest: ingest.getStats(), push: push.getStats() };
  },
};

process.on('message', async (msg) => {
  if (msg?.type !== 'call') return;
  try {
    process.send?.({ type: 'result', id: msg.id, result: await calls[msg.cmd](msg.args ?? {}) });
  } catch (err) {
    process.send?.({ type: 'result', id: msg.id, error: String(err?.stack ?? err) });
  }
});
