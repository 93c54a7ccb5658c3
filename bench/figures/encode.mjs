import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/stats.mjs';

const SCRIPT = fileURLToPath(new URL('../encode-ab.mjs', import.meta.url));

/** Runs bench/encode-ab.mjs for one source and resolves with its rounds. */
function measure(source, seconds, rounds) {
  const child = fork(SCRIPT, [], {
    env: { ...process.env, BENCH_SOURCE: source, ENCODE_SECONDS: String(seconds), ENCODE_ROUNDS: String(rounds) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let result = null;
    child.on('message', (msg) => {
      if (msg?.type === 'result') result = msg.rounds;
    });
    child.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`encode measurement for ${source} exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}

/**
 * Figure 5. The per-frame CPU cost of framestream's noise source and of a
 * pushed Float32 frame, each against a bare path doing the same work with
 * nothing else (generate or convert, then one sharp encode). The two take
 * turns in one process (bench/encode-ab.mjs), so the comparison is the code
 * path and nothing else: not start-up, not a second process competing for
 * the two cores. The figures are the whole process's CPU time, libvips
 * threads included; the overhead is the median over rounds of each round's
 * ratio, which drops the rounds a burst of outside load landed in.
 * @param {{ seconds: number, rounds: number, log: (s: string) => void }} config
 */
export async function runEncode(config) {
  const results = {};
  for (const source of ['noise', 'float32']) {
    try {
      const rounds = await measure(source, config.seconds, config.rounds);
      const roundOverheads = rounds.map((x) => x.framestream / x.bare - 1);
      const bareMs = median(rounds.map((x) => x.bare));
      const framestreamMs = median(rounds.map((x) => x.framestream));
      const overhead = median(roundOverheads);
      const encodeMs = rounds.at(-1).encodeMs;
      results[source] = { bareMs, framestreamMs, overhead, encodeMs, seconds: config.seconds, rounds: rounds.length, roundOverheads, error: null };
      config.log(
        `  ${source.padEnd(8)} bare ${bareMs.toFixed(2)} ms/frame, framestream ${framestreamMs.toFixed(2)} ms/frame, ` +
          `overhead ${(overhead * 100).toFixed(1)}% (rounds: ${roundOverheads.map((o) => `${(o * 100).toFixed(1)}%`).join(', ')})`,
      );
    } catch (err) {
      results[source] = { error: String(err?.message ?? err) };
      config.log(`  ${source}: ${results[source].error}`);
    }
  }
  return results;
}
