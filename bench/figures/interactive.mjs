import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../lib/children.mjs';
import { INTERACTIVE_KINDS, MODEL_MS, sessionCapacity, summarizeStep } from '../lib/interactive.mjs';
import { startPeer } from '../lib/peer.mjs';
import { median } from '../lib/stats.mjs';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Outputs answering the window's last captures may still be on their way;
// the clients are read this long after they stopped capturing. A baseline
// backlog that has not cleared by then counts as unanswered.
const DRAIN_MS = 500;
/** Session counts every path is measured at, whatever happened below them. */
const ALWAYS = [1, 4, 8];

/**
 * One window of `n` sessions on one path: they capture at 30 FPS for a
 * warm-up, then the frames captured during `windowS` are the window's;
 * after a drain each client accounts for its own frames. The server's CPU
 * is read at both ends of the window.
 */
async function measureWindow({ server, client, kind, n, warmupS, windowS }) {
  const opened = await client.call('open', { port: server.port, kind, count: n });
  try {
    await client.call('start');
    await sleep(warmupS * 1000);
    await client.call('beginWindow');
    const s0 = await server.stats();
    await sleep(windowS * 1000);
    const s1 = await server.stats();
    const w = await client.call('endWindow');
    await sleep(DRAIN_MS);
    const { sessions } = await client.call('collect');
    return { sessions, seconds: w.seconds, inputBytes: opened.inputBytes, serverCpuMs: s1.cpuMs - s0.cpuMs, clientCpuMs: w.clientCpuMs };
  } finally {
    await client.call('close');
    // Sessions end when their viewer leaves; let the server settle.
    await sleep(200);
  }
}

/**
 * One step: `rounds` windows of `n` fresh sessions each, pooled. A
 * session's schedule falls anywhere against its client's camera clock, and
 * with the generator that alone moves a session's round trip by up to a
 * frame interval; fresh sessions sample that instead of one draw of it.
 */
async function measureStep({ server, client, kind, n, rounds, warmupS, windowS }) {
  const windows = [];
  for (let r = 0; r < rounds; r++) windows.push(await measureWindow({ server, client, kind, n, warmupS, windowS }));
  const sessions = windows.flatMap((w) => w.sessions);
  const step = summarizeStep(n, sessions, rounds * n);
  const parts = sessions.flatMap((s) => s.parts);
  const part = (i) => median(parts.map((p) => p[i]).filter((x) => typeof x === 'number'));
  const sum = (k) => sessions.reduce((a, s) => a + (s[k] ?? 0), 0);
  const seconds = windows.reduce((a, w) => a + w.seconds, 0);
  return {
    ...step,
    rounds,
    seconds,
    inputBytes: windows[0].inputBytes,
    sent: sum('sent'),
    replaced: sum('replaced'),
    clientErrors: sum('errors'),
    closed: sessions.filter((s) => s.closed).length,
    // Medians of the round trip's parts over the answered frames.
    uplinkP50: part(0),
    waitP50: part(1),
    modelP50: part(2),
    downlinkP50: part(3),
    // Each session's own median wait, the spread the rounds sample.
    sessionWaitP50s: sessions.map((s) => median(s.parts.map((p) => p[1]).filter((x) => typeof x === 'number'))),
    serverCpuPerSecond: windows.reduce((a, w) => a + w.serverCpuMs, 0) / seconds,
    clientCpuPerSecond: windows.reduce((a, w) => a + w.clientCpuMs, 0) / seconds,
  };
}

/**
 * Whether the browser sub-figure could run: it needs, in the built package
 * the benchmark loads, the React camera hook (`useCamera`/`CameraInput`)
 * and a client that sends input frames (`FrameStreamClient.sendFrame`).
 * The reason says which is missing, and whether the source has it already.
 * @param {string} [root]
 */
export function browserReadiness(root = ROOT) {
  const read = (p) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : '');
  const has = {
    camera: /useCamera|CameraInput/.test(read('dist/react/index.js')),
    sends: /sendFrame/.test(read('dist/client/index.js')),
    cameraSrc: /useCamera|CameraInput/.test(read('src/react/index.ts')),
    sendsSrc: /\bsendFrame\s*\(/.test(read('src/client/client.ts')),
  };
  if (has.camera && has.sends) return { ready: true, reason: null, ...has };
  const missing = [
    !has.camera && `useCamera/CameraInput ${has.cameraSrc ? '(in src/react, not yet in dist/)' : '(not written)'}`,
    !has.sends && `FrameStreamClient.sendFrame ${has.sendsSrc ? '(in src/client, not yet in dist/)' : '(not written)'}`,
  ].filter(Boolean);
  return { ready: false, reason: `not measured: the built package lacks ${missing.join(' and ')}, so no page can send camera frames through framestream`, ...has };
}

/**
 * The interactive figure. One server process (bench/servers/interactive.mjs)
 * serves a framestream session stream (the model as an async generator, and
 * again with the model calling `session.push()`) and a hand-written
 * base64-JSON baseline, all running the same model (a 10 ms sleep, the input JPEG as
 * output). One client process (bench/lib/interactive-peer.mjs) opens `n`
 * sessions on one path at a time and captures a 512×512 JPEG (~q80) per
 * session at 30 FPS; the round trip is capture → the client holds the
 * output that answers it, on the client's clock. Steps climb `sessions`
 * (each path at each step, rotating which goes first) and stop climbing
 * a path above 8 sessions once it has failed to hold 29 FPS per session
 * twice in a row.
 * The 1-session step is `oneSessionRounds` windows of a fresh session each.
 * @param {{ sessions: number[], oneSessionRounds?: number, browserSeconds?: number, warmupS: number, windowS: number, log: (s: string) => void }} config
 */
export async function runInteractive(config) {
  const result = { modelMs: MODEL_MS, model: 'sleep', framestream: { steps: [] }, push: { steps: [] }, baseline: { steps: [] }, browser: null, load: { start: os.loadavg()[0], end: null }, error: null };
  let server;
  let client;
  try {
    server = await startServer('interactive');
    client = await startPeer('lib/interactive-peer.mjs');
    const failures = { framestream: 0, push: 0, baseline: 0 };
    for (const [i, n] of config.sessions.entries()) {
      const k = INTERACTIVE_KINDS.length;
      for (const kind of INTERACTIVE_KINDS.map((_, j) => INTERACTIVE_KINDS[(i + j) % k])) {
        // The session counts the targets and the report name are always
        // measured; above them, a path that missed two steps in a row is not
        // climbed further (it would only build a backlog).
        if (failures[kind] >= 2 && !ALWAYS.includes(n)) continue;
        const rounds = n === 1 ? config.oneSessionRounds ?? 1 : 1;
        const s = await measureStep({ server, client, kind, n, rounds, warmupS: config.warmupS, windowS: config.windowS });
        result[kind].steps.push(s);
        failures[kind] = s.minFps >= 29 ? 0 : failures[kind] + 1;
        result.inputBytes = s.inputBytes;
        config.log(
          `  ${kind.padEnd(11)} ${String(n).padStart(2)} session(s): round trip p50 ${s.p50?.toFixed(1) ?? '—'} ms, p99 ${s.p99?.toFixed(1) ?? '—'} ms, ` +
            `min ${s.minFps.toFixed(1)} fps (${s.answered}/${s.captured} answered), server ${s.serverCpuPerSecond.toFixed(0)} ms CPU/s`,
        );
      }
    }
    for (const kind of INTERACTIVE_KINDS) result[kind].capacity = sessionCapacity(result[kind].steps);
    const b = browserReadiness();
    if (b.ready) {
      const { measureBrowser } = await import('../lib/interactive-browser.mjs');
      const pages = await measureBrowser({ port: server.port, warmupS: config.warmupS, seconds: config.browserSeconds ?? 2 * config.windowS });
      // The target is read from the default client (a worker); the main-thread one is reported beside it.
      result.browser = pages.auto;
      result.browserMain = pages.main;
    } else result.browser = { measured: false, reason: b.reason };
    for (const [name, x] of [['worker client', result.browser], ['main-thread client', result.browserMain]]) {
      if (!x) continue;
      config.log(`  browser, ${name} (camera → painted): ${x.measured ? `p50 ${x.p50?.toFixed(1)} ms, p99 ${x.p99?.toFixed(1)} ms over ${x.frames} frames` : x.reason}`);
    }
    const s = await server.stats();
    result.serverErrors = s?.errors ?? null;
  } catch (err) {
    result.error = String(err?.message ?? err);
    config.log(`  interactive: ${result.error}`);
  } finally {
    await client?.stop();
    await server?.stop();
  }
  result.load.end = os.loadavg()[0];
  return result;
}
