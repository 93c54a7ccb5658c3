import { LoadGen, SERVER_KINDS, startServer } from '../lib/children.mjs';
import { sampleProcess } from '../lib/proc.mjs';
import { median, quantile } from '../lib/stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Measures one steady window: resets every viewer, waits `windowS`, and
 * returns the viewers' figures with the server's CPU time and RSS over the
 * same interval, read from /proc.
 * @param {LoadGen} gen
 * @param {number} pid
 * @param {number} windowS
 */
export async function measureWindow(gen, pid, windowS, server) {
  const statsBefore = await server?.stats();
  await gen.reset();
  const before = sampleProcess(pid);
  const loadBefore = gen.pids.map(sampleProcess);
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const w = await gen.collect();
  const after = sampleProcess(pid);
  const loadAfter = gen.pids.map(sampleProcess);
  const seconds = (performance.now() - t0) / 1000;
  const statsAfter = await server?.stats();
  // framestream's own counters say why a viewer got fewer frames: the
  // producer dropped ticks (encoder busy) or the viewer was skipped (socket behind).
  const rate = (key) =>
    statsBefore && statsAfter && typeof statsAfter[key] === 'number' ? (statsAfter[key] - statsBefore[key]) / seconds : null;
  const delivered = w.fps.reduce((a, b) => a + b, 0) * w.seconds;
  const cpuMs = after && before ? after.cpuMs - before.cpuMs : null;
  const loadCpuMs = loadAfter.reduce((a, s, i) => a + (s && loadBefore[i] ? s.cpuMs - loadBefore[i].cpuMs : 0), 0);
  return {
    viewers: w.viewers,
    minFps: w.fps.length ? Math.min(...w.fps) : 0,
    medianFps: median(w.fps),
    latencyP50: median(w.latencies),
    latencyP99: quantile(w.latencies, 0.99),
    encodeP50: median(w.encodeMs),
    gapP99: quantile(w.gaps, 0.99),
    delivered,
    deliveredPerSecond: w.fps.reduce((a, b) => a + b, 0),
    cpuPerSecond: cpuMs === null ? null : cpuMs / seconds,
    cpuPerFrame: cpuMs === null || delivered === 0 ? null : cpuMs / delivered,
    loadgenCpuPerSecond: loadCpuMs / seconds,
    rssMB: after ? after.rssBytes / 2 ** 20 : null,
    producedPerSecond: rate('framesProduced'),
    skippedPerSecond: rate('framesSkipped'),
    droppedPerSecond: rate('framesDropped'),
    bareMessages: w.bare,
    textMessages: w.text,
    dropped: w.dropped,
  };
}

/**
 * Figures 1-3. Each server runs alone, in its own process, through the same
 * ladder of viewer counts. Viewers are added between steps rather than
 * reconnected, and every step waits for all viewers' first frame, then a
 * warm-up, then one measured window.
 * @param {{ ladder: number[], warmupS: number, windowS: number, loadgenProcs: number, profileDir?: string, log: (s: string) => void }} config
 */
export async function runLadder(config) {
  const results = {};
  for (const kind of SERVER_KINDS) {
    const steps = [];
    results[kind] = { steps, error: null };
    let server;
    let gen;
    try {
      server = await startServer(kind, { profileDir: config.profileDir });
      gen = await LoadGen.start(config.loadgenProcs);
      let open = 0;
      for (const n of config.ladder) {
        await gen.openViewers({ port: server.port, path: '/stream', protocol: 'framestream.v1', count: n - open });
        open = n;
        await gen.awaitFirstFrames(30_000);
        await sleep(config.warmupS * 1000);
        const step = { n, ...(await measureWindow(gen, server.pid, config.windowS, server)) };
        steps.push(step);
        config.log(
          `  ${kind.padEnd(11)} ${String(n).padStart(4)} viewers: min ${step.minFps.toFixed(1)} fps, ` +
            `p50 ${step.latencyP50?.toFixed(1)} ms, p99 ${step.latencyP99?.toFixed(1)} ms, ` +
            `cpu ${step.cpuPerSecond?.toFixed(0)} ms/s, loadgen ${step.loadgenCpuPerSecond.toFixed(0)} ms/s`,
        );
      }
    } catch (err) {
      results[kind].error = String(err?.message ?? err);
      config.log(`  ${kind}: ${results[kind].error}`);
    } finally {
      await gen?.closeAll().catch(() => {});
      await gen?.stop();
      await server?.stop();
    }
  }
  return results;
}
