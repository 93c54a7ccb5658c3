import { LoadGen, SERVER_KINDS, startServer } from '../lib/children.mjs';
import { median, quantile } from '../lib/stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Figure 7. `concurrency` keep-alive HTTP clients fetch the snapshot route
 * back to back while one WebSocket viewer watches the stream, as in a page
 * that shows the live view and offers a download.
 * @param {{ concurrency: number, seconds: number, log: (s: string) => void }} config
 */
export async function runSnapshot(config) {
  const results = {};
  for (const kind of SERVER_KINDS) {
    let server;
    let gen;
    try {
      server = await startServer(kind);
      gen = await LoadGen.start(1);
      await gen.openViewers({ port: server.port, path: '/stream', protocol: 'framestream.v1', count: 1 });
      await gen.awaitFirstFrames(30_000);
      await sleep(500);
      const r = await gen.snapshot({
        port: server.port,
        path: '/snapshot',
        concurrency: config.concurrency,
        durationMs: config.seconds * 1000,
      });
      results[kind] = {
        rps: r.requests / r.seconds,
        p50: median(r.latencies),
        p99: quantile(r.latencies, 0.99),
        requests: r.requests,
        errors: r.errors,
        error: null,
      };
      config.log(
        `  ${kind.padEnd(11)} ${results[kind].rps.toFixed(0)} req/s, p99 ${results[kind].p99?.toFixed(1)} ms, ${r.errors} errors`,
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
