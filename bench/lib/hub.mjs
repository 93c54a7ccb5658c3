// The hub figure's parts that are not the measurement itself: the Redis it
// runs against, how viewers are dealt over nodes, and its targets. Pure
// functions are tested in test/bench/harness.test.ts.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const FPS_FLOOR = 29;
/** The Redis hop may add this much to the p50 / p99 of capture → viewer latency, ms. */
export const HOP_LIMITS = { p50: 2, p99: 5 };
/** A relay node's CPU per delivered frame may exceed in-process fan-out's by this fraction. */
export const RELAY_CPU_ALLOWANCE = 0.1;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the figure's own on a free loopback port, with nothing
 * written to disk (`--save '' --appendonly no`). BENCH_REDIS_SERVER names
 * another binary; Debian's is /usr/bin/redis-server.
 * @returns {Promise<{ pid: number, port: number, url: string, version: string | null, stop: () => Promise<void> }>}
 */
export async function startRedis() {
  const bin = process.env.BENCH_REDIS_SERVER ?? 'redis-server';
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start on port ${port}: ${output.trim().split('\n').pop() ?? ''}`));
    }, 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin} (install Debian's redis-server, or set BENCH_REDIS_SERVER): ${err.message}`));
    });
    const early = (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}: ${output.trim().split('\n').pop() ?? ''}`));
    };
    child.once('exit', early);
    const listen = (chunk) => {
      output += chunk;
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve();
    };
    child.stdout.on('data', listen);
    child.stderr.on('data', listen);
  });
  return {
    pid: child.pid,
    port,
    url: `redis://127.0.0.1:${port}`,
    version: /(?:Redis version|v)=?([0-9]+\.[0-9]+\.[0-9]+)/.exec(output)?.[1] ?? null,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Deals `total` viewers over `nodes` nodes as evenly as it goes, the first
 * nodes taking one more.
 * @param {number} total
 * @param {number} nodes
 * @returns {number[]}
 */
export function spread(total, nodes) {
  return Array.from({ length: nodes }, (_, i) => Math.floor(total / nodes) + (i < total % nodes ? 1 : 0));
}

/**
 * What the hop adds: the relay's percentile minus the producer's, measured
 * in the same window over the same frames (the frames are not paired, so it
 * is a difference of percentiles, not a percentile of differences).
 * @param {{ latencyP50: number | null, latencyP99: number | null } | undefined} direct
 * @param {{ latencyP50: number | null, latencyP99: number | null } | undefined} relayed
 */
export function hopAdds(direct, relayed) {
  const d = (k) => (direct?.[k] == null || relayed?.[k] == null ? null : relayed[k] - direct[k]);
  return { p50: d('latencyP50'), p99: d('latencyP99') };
}

/**
 * Largest step at which every viewer got ≥ 29 FPS, over an unbroken run
 * from the bottom of the ladder, as figure 1 counts it.
 * @param {{ n: number, minFps: number }[]} steps
 */
export function hubCapacity(steps) {
  let cap = 0;
  for (const s of steps ?? []) {
    if (s.minFps >= FPS_FLOOR) cap = s.n;
    else break;
  }
  return cap;
}

/**
 * The hub figure's targets: what the Redis hop adds to latency, and a relay
 * node's CPU per delivered frame against in-process fan-out's.
 * @param {any} hub the figure's result, or undefined when it did not run
 */
export function hubTargets(hub) {
  if (!hub || (hub.error && !hub.hop)) {
    return [{ figure: 10, target: 'Redis hub', measured: hub?.error ?? 'not run', met: null }];
  }
  const out = [];
  const added = hub.hop?.added;
  for (const q of ['p50', 'p99']) {
    const v = added?.[q];
    const side = (k) => (q === 'p50' ? hub.hop?.[k]?.latencyP50 : hub.hop?.[k]?.latencyP99);
    out.push({
      figure: 10,
      target: `Redis hop adds ≤ ${HOP_LIMITS[q]} ms to latency ${q} (relay node − producing node)`,
      measured: v == null ? hub.hop?.error ?? 'not measured' : `${v.toFixed(2)} ms (relay ${side('relay').toFixed(1)} ms, producing node ${side('direct').toFixed(1)} ms)`,
      met: v == null ? null : v <= HOP_LIMITS[q],
    });
  }
  const cpu = hub.cpu;
  const relay = cpu?.relay?.cpuPerFrame;
  const single = cpu?.single?.cpuPerFrame;
  out.push({
    figure: 10,
    target: `Relay node CPU per delivered frame within ${RELAY_CPU_ALLOWANCE * 100}% of in-process fan-out (${cpu?.viewers ?? '—'} viewers)`,
    measured:
      relay == null || single == null
        ? cpu?.error ?? 'not measured'
        : `${relay.toFixed(3)} ms vs ${single.toFixed(3)} ms (${relay >= single ? '+' : ''}${(((relay - single) / single) * 100).toFixed(0)}%)`,
    met: relay == null || single == null ? null : relay <= (1 + RELAY_CPU_ALLOWANCE) * single,
  });
  return out;
}
