import { LoadGen, SERVER_KINDS, startServer } from '../lib/children.mjs';
import { sampleProcess } from '../lib/proc.mjs';
import { median, quantile } from '../lib/stats.mjs';
import { measureWindow } from './ladder.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Figure 4. Ten healthy viewers are measured alone, then an eleventh viewer
 * connects, receives a frame and stops reading for `stallS` seconds (its
 * socket is paused, so the kernel buffers fill and the server sees a viewer
 * that cannot keep up). Server RSS is sampled every 250 ms; the healthy
 * viewers are measured over the whole stall.
 * @param {{ healthy: number, stallS: number, windowS: number, warmupS: number, kinds?: string[], log: (s: string) => void }} config
 */
export async function runStall(config) {
  const results = {};
  for (const kind of config.kinds ?? SERVER_KINDS) {
    let server;
    let gen;
    try {
      server = await startServer(kind);
      gen = await LoadGen.start(1);
      const target = { port: server.port, path: '/stream', protocol: 'framestream.v1' };
      await gen.openViewers({ ...target, count: config.healthy });
      await gen.awaitFirstFrames(30_000);
      await sleep(config.warmupS * 1000);
      const before = await measureWindow(gen, server.pid, config.windowS, server);

      await gen.openViewers({ ...target, count: 1 });
      await gen.awaitFirstFrames(30_000);
      await gen.stall(1);
      const rss0 = sampleProcess(server.pid)?.rssBytes ?? 0;
      let rssMax = rss0;
      await gen.reset();
      const end = performance.now() + config.stallS * 1000;
      while (performance.now() < end) {
        await sleep(250);
        rssMax = Math.max(rssMax, sampleProcess(server.pid)?.rssBytes ?? 0);
      }
      const w = await gen.collect();
      const during = {
        viewers: w.viewers,
        minFps: w.fps.length ? Math.min(...w.fps) : 0,
        medianFps: median(w.fps),
        latencyP50: median(w.latencies),
        latencyP99: quantile(w.latencies, 0.99),
      };
      results[kind] = {
        before,
        during,
        rssStartMB: rss0 / 2 ** 20,
        rssGrowthMB: (rssMax - rss0) / 2 ** 20,
        p99RiseMs: during.latencyP99 !== null && before.latencyP99 !== null ? during.latencyP99 - before.latencyP99 : null,
        error: null,
      };
      config.log(
        `  ${kind.padEnd(11)} stalled viewer: RSS +${results[kind].rssGrowthMB.toFixed(1)} MB, healthy min ` +
          `${during.minFps.toFixed(1)} fps, p99 ${before.latencyP99?.toFixed(1)} -> ${during.latencyP99?.toFixed(1)} ms`,
      );
    } catch (err) {
      results[kind] = { error: String(err?.message ?? err) };
      config.log(`  ${kind}: ${results[kind].error}`);
    } finally {
      await gen?.closeAll().catch(() => {});
      await gen?.stop();
      await server?.stop();
    }
  }
  return results;
}
