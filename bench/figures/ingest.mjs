import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LoadGen } from '../lib/children.mjs';
import { startPeer } from '../lib/peer.mjs';
import { INGEST_PATH, INGEST_TOKEN, STREAM_PATHS, accountWindow, addedLatency, cpuPerFrame, latencySummary } from '../lib/ingest.mjs';
import { median, quantile } from '../lib/stats.mjs';

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const ROOT = dirname(BENCH_DIR);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Frames sent before a window closed may still be on their way; the viewer
// is read this long after the sender stopped.
const DRAIN_MS = 500;


/**
 * One window of one path: the sender runs at 30 FPS for a warm-up, then the
 * ids it sends during `windowS` are the window's frames; the server's CPU
 * time is read at both ends. After the sender stops the viewer's records
 * are matched to those ids.
 */
async function measurePhase({ server, producer, viewer, path, format, firstId, warmupS, windowS }) {
  const sender =
    path === 'push'
      ? { start: (a) => server.call('startPush', a), mark: (a) => server.call('markPush', a), stop: () => server.call('stopPush') }
      : { start: (a) => producer.call('start', a), mark: (a) => producer.call('mark', a), stop: () => producer.call('stop') };
  await viewer.call('reset');
  await sender.start({ format, firstId });
  await sleep(warmupS * 1000);
  // The window's frames are those the sender puts on the wire from here on.
  const before = await sender.mark({ from: Number.MAX_SAFE_INTEGER });
  const s0 = await server.call('stats');
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const s1 = await server.call('stats');
  const seconds = (performance.now() - t0) / 1000;
  const after = await sender.mark({ from: before.count });
  const stopped = await sender.stop();
  await sleep(DRAIN_MS);
  const seen = await viewer.call('collect', { path: STREAM_PATHS[path] });
  const received = seen.records.map(([id, latencyMs, hopMs]) => ({ id, latencyMs, hopMs }));
  const w = accountWindow(after.ids, received);
  const key = path === 'push' ? 'push' : 'ingest';
  return {
    ...w,
    seconds,
    cpuMs: s1.cpuMs - s0.cpuMs,
    produced: s1[key].framesProduced - s0[key].framesProduced,
    skipped: s1[key].framesSkipped - s0[key].framesSkipped,
    dropped: s1[key].framesDropped - s0[key].framesDropped,
    // Ticks of the sender's 30 FPS schedule in the window; for the producer,
    // those that found no credit were kept and replaced by a newer one.
    generated: path === 'push' ? after.ids.length : after.generated - before.generated,
    replaced: path === 'push' ? 0 : after.replaced - before.replaced,
    viewerClosed: seen.closed,
    producerClosed: stopped.closed ?? null,
  };
}

/** Pools a path's rounds into the figure's numbers. */
function pool(phases) {
  const latencies = phases.flatMap((p) => p.latencies);
  const hops = phases.flatMap((p) => p.hops);
  const sum = (k) => phases.reduce((a, p) => a + (p[k] ?? 0), 0);
  const cpuMs = sum('cpuMs');
  return {
    ...latencySummary(latencies, hops),
    sent: sum('sent'),
    received: sum('received'),
    lost: sum('lost'),
    duplicates: sum('duplicates'),
    generated: sum('generated'),
    replaced: sum('replaced'),
    skipped: sum('skipped'),
    dropped: sum('dropped'),
    seconds: sum('seconds'),
    cpuMs,
    cpuPerFrame: cpuPerFrame(cpuMs, sum('sent')),
    fps: sum('seconds') > 0 ? sum('sent') / sum('seconds') : null,
    rounds: phases.length,
  };
}

/** The Python interpreter to use and whether framestream_producer imports there. */
async function findPython() {
  const lib = join(ROOT, 'python', 'framestream_producer', '__init__.py');
  if (!existsSync(lib)) return { python: null, reason: 'python producer missing (no python/framestream_producer)' };
  // BENCH_PYTHON first; then a venv as python/README.md sets one up; then
  // whatever `python3` is; then Debian's, where apt's python3-websockets lives
  // even when a pyenv or a venv shadows it on the PATH.
  const candidates = [
    process.env.BENCH_PYTHON,
    join(ROOT, 'python', '.venv', 'bin', 'python'),
    join(ROOT, '.venv', 'bin', 'python'),
    'python3',
    '/usr/bin/python3',
  ].filter((p) => p && (p === 'python3' || existsSync(p)));
  let reason = 'python producer missing';
  for (const python of candidates) {
    try {
      await promisify(execFile)(python, ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import numpy, framestream_producer', join(ROOT, 'python')], {
        timeout: 20_000,
      });
      return { python, reason: null };
    } catch (err) {
      const last = String(err?.stderr ?? err?.message ?? err).trim().split('\n').pop();
      reason = `python producer missing (${python}: ${last})`;
    }
  }
  return { python: null, reason };
}

/**
 * The Python producer (python/framestream_producer, driven by
 * bench/lib/ingest_producer.py) sends 512×512×3 float32 at 30 FPS while
 * `viewers` load-generator viewers watch; the window is measured like the
 * ladder's: slowest and median viewer FPS, server CPU per produced frame.
 */
async function measurePython({ server, viewers, warmupS, windowS, loadgenProcs, log }) {
  const { python, reason } = await findPython();
  if (!python) return { measured: false, reason: `not measured: ${reason}` };
  let gen;
  let child;
  try {
    gen = await LoadGen.start(loadgenProcs);
    await gen.openViewers({ port: server.port, path: STREAM_PATHS.ingest, protocol: 'framestream.v1', count: viewers });
    const seconds = warmupS + windowS + 3;
    const url = `ws://127.0.0.1:${server.port}${INGEST_PATH}`;
    child = spawn(python, [join(BENCH_DIR, 'lib', 'ingest_producer.py'), url, INGEST_TOKEN, String(seconds), '30', '512', '512'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // Bounded: the script stops itself after `seconds`; this is the backstop.
    const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    const ready = await gen.awaitFirstFrames(30_000);
    const readyFlags = ready.every((r) => r?.ready !== false);
    if (!readyFlags) throw new Error(`viewers got no frame from the Python producer within 30 s: ${err.trim().split('\n').pop() ?? ''}`);
    await sleep(warmupS * 1000);
    const s0 = await server.call('stats');
    await gen.reset();
    await sleep(windowS * 1000);
    const w = await gen.collect();
    const s1 = await server.call('stats');
    const code = await exited;
    clearTimeout(kill);
    const summary = out
      .trim()
      .split('\n')
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .filter(Boolean)
      .at(-1);
    if (code !== 0) throw new Error(`the Python producer exited with code ${code}: ${err.trim().split('\n').pop() ?? ''}`);
    const produced = s1.ingest.framesProduced - s0.ingest.framesProduced;
    const result = {
      measured: true,
      python,
      viewers: w.viewers,
      minFps: w.fps.length ? Math.min(...w.fps) : 0,
      medianFps: median(w.fps),
      latencyP50: median(w.latencies),
      latencyP99: quantile(w.latencies, 0.99),
      produced,
      producedPerSecond: produced / w.seconds,
      cpuPerFrame: cpuPerFrame(s1.cpuMs - s0.cpuMs, produced),
      producer: summary ?? null,
    };
    log(
      `  python producer, ${result.viewers} viewers: min ${result.minFps.toFixed(1)} fps (median ${result.medianFps?.toFixed(1)}), ` +
        `server ${result.cpuPerFrame?.toFixed(2)} ms CPU/frame`,
    );
    return result;
  } catch (e) {
    return { measured: false, reason: `failed: ${String(e?.message ?? e)}` };
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await gen?.closeAll().catch(() => {});
    await gen?.stop();
  }
}

/**
 * Figure 8. One server process (bench/servers/ingest.mjs) holds two streams:
 * one fed by in-process `push()`, one by a producer process through the
 * ingest endpoint. A viewer process watches both. The same frames (512×512
 * noise JPEG, or 512×512×3 float32 the server encodes) go through each path
 * at 30 FPS in turn, `rounds` times, alternating which path goes first;
 * every frame carries its sender's wall-clock send time, so latency is
 * viewer receive − producer send on one machine clock. Then a Python
 * producer feeds `viewers` viewers, if python/ is there.
 * @param {{ rounds: number, warmupS: number, windowS: number, viewers: number, loadgenProcs: number, log: (s: string) => void }} config
 */
export async function runIngest(config) {
  const result = { jpeg: null, float32: null, python: null, bufferutil: null, jpegBytes: null, idleCpuMsPerSecond: null, error: null };
  let server;
  let producer;
  let viewer;
  try {
    server = await startPeer('servers/ingest.mjs');
    viewer = await startPeer('lib/ingest-peer.mjs', { args: ['viewer'] });
    producer = await startPeer('lib/ingest-peer.mjs', { args: ['producer'] });
    await viewer.call('open', { port: server.port, paths: [STREAM_PATHS.push, STREAM_PATHS.ingest] });
    await producer.call('connect', { port: server.port });
    const first = await server.call('stats');
    result.bufferutil = first.bufferutil;
    result.jpegBytes = first.jpegBytes;
    // The floor under every CPU figure: the same processes connected, no
    // frames sent (timers, the viewers' once-a-second metrics, these calls).
    const t0 = performance.now();
    await sleep(config.windowS * 1000);
    const idle = await server.call('stats');
    result.idleCpuMsPerSecond = (idle.cpuMs - first.cpuMs) / ((performance.now() - t0) / 1000);
    config.log(`  idle server: ${result.idleCpuMsPerSecond.toFixed(1)} ms CPU/s`);
    const phases = { jpeg: { push: [], ingest: [] }, float32: { push: [], ingest: [] } };
    let firstId = 1;
    for (let round = 0; round < config.rounds; round++) {
      for (const format of ['jpeg', 'float32']) {
        for (const path of round % 2 === 0 ? ['push', 'ingest'] : ['ingest', 'push']) {
          const p = await measurePhase({ server, producer, viewer, path, format, firstId, warmupS: config.warmupS, windowS: config.windowS });
          firstId += 1_000_000;
          phases[format][path].push(p);
          config.log(
            `  ${format.padEnd(7)} ${path.padEnd(6)} round ${round + 1}: p50 ${p.latencies.length ? median(p.latencies).toFixed(2) : '—'} ms, ` +
              `p99 ${p.latencies.length ? quantile(p.latencies, 0.99).toFixed(2) : '—'} ms, ${p.received}/${p.sent} received, ` +
              `server ${cpuPerFrame(p.cpuMs, p.sent)?.toFixed(3) ?? '—'} ms CPU/frame`,
          );
        }
      }
    }
    for (const format of ['jpeg', 'float32']) {
      const push = pool(phases[format].push);
      const ingest = pool(phases[format].ingest);
      result[format] = { push, ingest, added: addedLatency(push, ingest), addedCpuPerFrame: ingest.cpuPerFrame !== null && push.cpuPerFrame !== null ? ingest.cpuPerFrame - push.cpuPerFrame : null };
    }
    const s = await server.call('stats');
    result.serverErrors = s.errors;
    // One producer at a time: the Node producer leaves before Python's joins.
    await producer.call('close');
    await viewer.call('close');
    result.python = await measurePython({ server, viewers: config.viewers, warmupS: config.warmupS, windowS: config.windowS, loadgenProcs: config.loadgenProcs, log: config.log });
    if (!result.python.measured) config.log(`  python producer: ${result.python.reason}`);
  } catch (err) {
    result.error = String(err?.message ?? err);
    config.log(`  ingest: ${result.error}`);
  } finally {
    await producer?.stop();
    await viewer?.stop();
    await server?.stop();
  }
  return result;
}
