import { startServer } from '../lib/children.mjs';
import { sampleProcess } from '../lib/proc.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU milliseconds per produced frame of one server process running with no
 * viewers, over `seconds` after a one-second warm-up.
 */
async function cpuPerFrame(kind, source, seconds) {
  const server = await startServer(kind, { env: { BENCH_SOURCE: source, BENCH_ALWAYS_ON: '1' } });
  try {
    await sleep(1000);
    const s0 = await server.stats();
    const c0 = sampleProcess(server.pid);
    await sleep(seconds * 1000);
    const s1 = await server.stats();
    const c1 = sampleProcess(server.pid);
    const frames = s1.framesProduced - s0.framesProduced;
    if (!c0 || !c1 || frames <= 0) throw new Error(`${kind}/${source} produced no frames`);
    return { cpuMs: (c1.cpuMs - c0.cpuMs) / frames, frames, encodeMs: s1.encodeMs ?? null };
  } finally {
    await server.stop();
  }
}

/**
 * Figure 5. The per-frame CPU cost of framestream's noise source and of a
 * pushed Float32 frame, each against bench/servers/bare.mjs doing the same
 * work with nothing else (generate or convert, then one sharp encode). Both
 * run as processes with no viewers at the stream's rate, so the figure is the
 * whole process's CPU time, libvips threads included. Rounds alternate
 * bare/framestream order (ABBA) so a change in machine load hits both.
 * @param {{ seconds: number, rounds: number, log: (s: string) => void }} config
 */
export async function runEncode(config) {
  const results = {};
  for (const source of ['noise', 'float32']) {
    const bare = [];
    const fs = [];
    let encodeMs = null;
    try {
      for (let r = 0; r < config.rounds; r++) {
        const order = r % 2 === 0 ? ['bare', 'framestream'] : ['framestream', 'bare'];
        for (const kind of order) {
          const m = await cpuPerFrame(kind, source, config.seconds);
          (kind === 'bare' ? bare : fs).push(m.cpuMs);
          if (kind === 'framestream') encodeMs = m.encodeMs;
        }
      }
      const bareMs = bare.reduce((a, b) => a + b, 0) / bare.length;
      const fsMs = fs.reduce((a, b) => a + b, 0) / fs.length;
      results[source] = { bareMs, framestreamMs: fsMs, overhead: fsMs / bareMs - 1, encodeMs, error: null };
      config.log(
        `  ${source.padEnd(8)} bare ${bareMs.toFixed(2)} ms/frame, framestream ${fsMs.toFixed(2)} ms/frame ` +
          `(${((fsMs / bareMs - 1) * 100).toFixed(1)}%)`,
      );
    } catch (err) {
      results[source] = { error: String(err?.message ?? err) };
      config.log(`  ${source}: ${results[source].error}`);
    }
  }
  return results;
}
