import { LoadGen, startServer } from '../lib/children.mjs';
import { sampleProcess } from '../lib/proc.mjs';
import { slope } from '../lib/stats.mjs';
import { lateSlope } from '../lib/targets.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The hardening soak: `viewers` viewers on framestream for `seconds`. Every
 * `churnEveryS` the longest-connected `churnCount` viewers leave and as many
 * new ones join, so connection setup and teardown run hundreds of times.
 * Between churns every viewer that was connected for the whole interval is
 * measured; server RSS and open file descriptors are sampled from /proc every
 * few seconds and fitted with a least-squares line after the warm-up. A leak
 * per connection shows as a positive slope; a flat line is what we want.
 * @param {{ seconds: number, viewers: number, log: (s: string) => void }} config
 */
export async function runSoak(config) {
  const churnEveryS = Math.min(20, Math.max(1, config.seconds / 4));
  const churnCount = Math.max(1, Math.round(config.viewers / 10));
  const warmupS = Math.min(60, config.seconds / 4);
  const sampleEveryMs = Math.min(5000, (config.seconds * 1000) / 20);
  let server;
  let gen;
  let sampler;
  try {
    server = await startServer('framestream');
    gen = await LoadGen.start(1);
    const target = { port: server.port, path: '/stream', protocol: 'framestream.v1' };
    await gen.openViewers({ ...target, count: config.viewers });
    await gen.awaitFirstFrames(30_000);
    const t0 = performance.now();
    const samples = [];
    const sample = async () => {
      const t = (performance.now() - t0) / 1000;
      const s = sampleProcess(server.pid);
      if (!s) return;
      const memory = (await server.stats())?.memory;
      samples.push({
        t,
        rssMB: s.rssBytes / 2 ** 20,
        fds: s.fds,
        heapMB: memory ? memory.heapUsed / 2 ** 20 : null,
        externalMB: memory ? memory.external / 2 ** 20 : null,
      });
    };
    await sample();
    sampler = setInterval(sample, sampleEveryMs);
    const windows = [];
    let reconnects = 0;
    while ((performance.now() - t0) / 1000 < config.seconds - 1) {
      await gen.reset();
      const started = (performance.now() - t0) / 1000;
      // The last window is cut short so the soak lasts what was asked.
      await sleep(Math.max(1, Math.min(churnEveryS, config.seconds - started)) * 1000);
      const w = await gen.collect();
      const minFps = w.fps.length ? Math.min(...w.fps) : 0;
      const sorted = [...w.fps].sort((a, b) => a - b);
      const medianFps = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
      windows.push({ t: started, minFps, medianFps, viewers: w.viewers });
      const opened = await gen.churn({ ...target, count: churnCount });
      reconnects += opened.reduce((a, o) => a + (o?.opened ?? 0), 0);
      await gen.awaitFirstFrames(30_000);
      const last = samples.at(-1);
      config.log(
        `  t=${Math.round(started)} s: min ${minFps.toFixed(1)} (median ${medianFps.toFixed(1)}) fps over ${w.viewers} viewers, ` +
          `RSS ${last?.rssMB.toFixed(1)} MB, heap ${last?.heapMB?.toFixed(1)} MB, ${last?.fds} fds, ${reconnects} reconnects`,
      );
    }
    clearInterval(sampler);
    await sample();
    const steady = samples.filter((s) => s.t >= warmupS);
    const measured = windows.filter((w) => w.t >= warmupS);
    const fit = (key) => (slope(steady.map((s) => s.t / 60), steady.map((s) => s[key])) ?? 0);
    return {
      durationS: (performance.now() - t0) / 1000,
      viewers: config.viewers,
      churnEveryS,
      churnCount,
      warmupS,
      reconnects,
      windows: measured.length,
      minFps: Math.min(...measured.map((w) => w.minFps)),
      minFpsIncludingWarmup: Math.min(...windows.map((w) => w.minFps)),
      windowsBelowTarget: measured.filter((w) => w.minFps < 29).length,
      windowLog: windows,
      rssStartMB: steady[0]?.rssMB ?? null,
      rssEndMB: steady.at(-1)?.rssMB ?? null,
      rssSlopeMBPerMin: fit('rssMB'),
      fdsStart: steady[0]?.fds ?? null,
      fdsEnd: steady.at(-1)?.fds ?? null,
      fdSlopePerMin: fit('fds'),
      heapStartMB: steady[0]?.heapMB ?? null,
      heapEndMB: steady.at(-1)?.heapMB ?? null,
      heapSlopeMBPerMin: steady.every((s) => s.heapMB !== null) ? fit('heapMB') : null,
      externalSlopeMBPerMin: steady.every((s) => s.externalMB !== null) ? fit('externalMB') : null,
      // A slow leak hides behind a settling heap early on; the second half
      // alone is the stricter test.
      rssLateSlopeMBPerMin: lateSlope(samples, 'rssMB'),
      samples,
      error: null,
    };
  } catch (err) {
    config.log(`  soak: ${String(err?.message ?? err)}`);
    return { error: String(err?.message ?? err) };
  } finally {
    clearInterval(sampler);
    await gen?.closeAll().catch(() => {});
    await gen?.stop();
    await server?.stop();
  }
}
