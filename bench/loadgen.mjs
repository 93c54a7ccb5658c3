// The load generator: a child process holding many viewers (bench/lib/viewer.mjs)
// and the snapshot HTTP clients. It runs apart from the server under test so
// the server's CPU time and RSS, read from /proc, are the server's alone. The
// parent drives it over IPC with small request/response messages.
import http from 'node:http';
import { Viewer } from './lib/viewer.mjs';
import { wallClockMs } from '../dist/index.js';

/** @type {Viewer[]} */
let viewers = [];
let windowStart = 0;

async function openViewers({ port, path, protocol, count }) {
  const opened = [];
  // Batches keep the server's accept backlog and the handshake burst small.
  for (let i = 0; i < count; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 25); j++) batch.push(new Viewer({ port, path, protocol }).open());
    const settled = await Promise.allSettled(batch);
    for (const r of settled) if (r.status === 'fulfilled') opened.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      viewers.push(...opened);
      throw failed.reason;
    }
  }
  viewers.push(...opened);
  return { opened: opened.length, total: viewers.length };
}

/** Waits until every open viewer has received at least one frame. */
async function awaitFirstFrames({ timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (viewers.every((v) => v.closed || v.stalled || v.firstFrameAt > 0)) return { ready: true };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ready: false, waiting: viewers.filter((v) => !v.closed && v.firstFrameAt === 0).length };
}

function reset() {
  windowStart = wallClockMs();
  for (const v of viewers) v.reset();
  return { windowStart };
}

// Only viewers that were already receiving when the window opened count, so
// a viewer that connected mid-window (soak churn) is not read as a slow one.
function collect() {
  const now = wallClockMs();
  const seconds = (now - windowStart) / 1000;
  const healthy = viewers.filter((v) => !v.stalled && !v.closed && v.firstFrameAt > 0 && v.firstFrameAt <= windowStart);
  const fps = healthy.map((v) => v.frames / seconds);
  const latencies = [];
  const encodeMs = [];
  const gaps = [];
  let bare = 0;
  let text = 0;
  for (const v of healthy) {
    latencies.push(...v.latencies.map((x) => Math.round(x * 1000) / 1000));
    encodeMs.push(...v.encodeMs.map((x) => Math.round(x * 1000) / 1000));
    gaps.push(...v.gaps.map((x) => Math.round(x * 100) / 100));
    bare += v.bareMessages;
    text += v.textMessages;
  }
  const dropped = viewers.filter((v) => !v.stalled && v.closed).length;
  return { seconds, fps, latencies, encodeMs, gaps, bare, text, dropped, viewers: healthy.length };
}

function stall({ count }) {
  const targets = viewers.filter((v) => !v.stalled && !v.closed).slice(-count);
  for (const v of targets) v.stall();
  return { stalled: targets.length };
}

function closeAll() {
  for (const v of viewers) v.close();
  const n = viewers.length;
  viewers = [];
  return { closed: n };
}

/** Reconnect churn: the oldest `count` viewers leave, as many new ones join. */
async function churn({ port, path, protocol, count }) {
  const leaving = viewers.filter((v) => !v.stalled && !v.closed).slice(0, count);
  for (const v of leaving) v.close();
  viewers = viewers.filter((v) => !v.closed);
  return openViewers({ port, path, protocol, count: leaving.length });
}

/**
 * `concurrency` keep-alive clients request the snapshot back to back for
 * `durationMs`; reports requests per second and latency percentiles.
 */
async function snapshot({ port, path, concurrency, durationMs }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let errors = 0;
  let bytes = 0;
  const start = performance.now();
  const end = start + durationMs;
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let size = 0;
        res.on('data', (c) => (size += c.length));
        res.on('end', () => {
          if (res.statusCode === 200 && size > 0) {
            latencies.push(performance.now() - t0);
            bytes += size;
          } else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const worker = async () => {
    while (performance.now() < end) await one();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { requests: latencies.length, errors, seconds, latencies, bytes };
}

function usage() {
  const u = process.cpuUsage();
  return { cpuMs: (u.user + u.system) / 1000, rssBytes: process.memoryUsage.rss() };
}

const handlers = { openViewers, awaitFirstFrames, reset, collect, stall, closeAll, churn, snapshot, usage };

process.on('message', async (msg) => {
  const { id, cmd, args } = msg;
  try {
    const result = await handlers[cmd](args ?? {});
    process.send({ id, result });
  } catch (err) {
    process.send({ id, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
process.send({ ready: true });
