import os from 'node:os';
import { LoadGen, startServer } from '../lib/children.mjs';
import { hopAdds, hubCapacity, spread, startRedis } from '../lib/hub.mjs';
import { sampleProcess } from '../lib/proc.mjs';
import { median, quantile } from '../lib/stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PROTOCOL = 'framestream.v1';
const PATH = '/stream';

/**
 * One node process (bench/servers/hub-node.mjs). Without `redis` it is a
 * single node with no hub; with it, a `producer` (noise source, takes the
 * lease) or a `relay` (no source of its own: it only delivers what Redis brings).
 */
function startNode({ redis, role, prefix, profileDir }) {
  const env = redis ? { BENCH_REDIS_URL: redis.url, BENCH_HUB_ROLE: role, BENCH_HUB_PREFIX: prefix } : {};
  return startServer('hub-node', { env, profileDir });
}

/** A fresh prefix per cluster, so a lease left by the previous one cannot decide who produces. */
let clusters = 0;
const freshPrefix = () => `framestream-bench-${process.pid}-${++clusters}`;

/** The viewers' figures of one window, as a ladder step reports them. */
function viewersOf(w, expected) {
  // A viewer that never got a frame is missing from `fps`: it counts as 0 FPS.
  const fps = [...w.fps, ...Array.from({ length: Math.max(0, expected - w.viewers) }, () => 0)];
  return {
    viewers: w.viewers,
    expected,
    minFps: fps.length ? Math.min(...fps) : 0,
    medianFps: median(fps),
    p5Fps: quantile(fps, 0.05),
    latencyP50: median(w.latencies),
    latencyP99: quantile(w.latencies, 0.99),
    samples: w.latencies.length,
    delivered: w.fps.reduce((a, b) => a + b, 0) * w.seconds,
    dropped: w.dropped,
  };
}

/**
 * One measured window over several groups of viewers at once (each its own
 * LoadGen) and several processes: every group is reset, the processes' CPU
 * time is read from /proc at both ends, as figure 1 does.
 * @param {{ gens: LoadGen[], expected: number[], pids: Record<string, number>, seconds: number }} o
 */
async function measure({ gens, expected, pids, seconds }) {
  await Promise.all(gens.map((g) => g.reset()));
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, sampleProcess(pid)]));
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const windows = await Promise.all(gens.map((g) => g.collect()));
  const after = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, sampleProcess(pid)]));
  const wall = (performance.now() - t0) / 1000;
  const cpuMs = Object.fromEntries(
    Object.keys(pids).map((k) => [k, before[k] && after[k] ? after[k].cpuMs - before[k].cpuMs : null]),
  );
  return { groups: windows.map((w, i) => viewersOf(w, expected[i])), latencies: windows.map((w) => w.latencies), cpuMs, seconds: wall };
}

/** A process's CPU ms per second of a window from {@link measure}. */
const perSecond = (w, key) => (w.cpuMs[key] == null ? null : w.cpuMs[key] / w.seconds);

/** Opens `count` viewers on `port`, dealt over the generator's processes. */
async function openOn(gen, port, count) {
  const shares = spread(count, gen.children.length);
  await Promise.all(
    gen.children.map((child, i) => (shares[i] > 0 ? gen.call(child, 'openViewers', { port, path: PATH, protocol: PROTOCOL, count: shares[i] }) : null)),
  );
}

async function ready(gens) {
  const flags = (await Promise.all(gens.map((g) => g.awaitFirstFrames(30_000)))).flat();
  const waiting = flags.reduce((a, f) => a + (f?.waiting ?? 0), 0);
  if (waiting > 0) throw new Error(`${waiting} viewer(s) got no frame within 30 s`);
}

/** Stops whatever was started, newest first, never throwing. */
async function teardown(things) {
  for (const t of things.reverse()) {
    if (t instanceof LoadGen) {
      await t.closeAll().catch(() => {});
      await t.stop().catch(() => {});
    } else await t?.stop?.().catch(() => {});
  }
}

/**
 * The hop and the CPU figures on a single node with no hub: one viewer for
 * the latency window, then `viewers` viewers for the CPU window.
 */
async function singleNode(config) {
  const started = [];
  try {
    const node = await startNode({ profileDir: config.profileDir });
    started.push(node);
    const one = await LoadGen.start(1);
    started.push(one);
    await openOn(one, node.port, 1);
    await ready([one]);
    await sleep(config.warmupS * 1000);
    const hop = await measure({ gens: [one], expected: [1], pids: { node: node.pid }, seconds: config.latencyS });
    await one.closeAll();
    const many = await LoadGen.start(config.loadgenProcs);
    started.push(many);
    await openOn(many, node.port, config.viewers);
    await ready([many]);
    await sleep(config.warmupS * 1000);
    const cpu = await measure({ gens: [many], expected: [config.viewers], pids: { node: node.pid }, seconds: config.windowS });
    return {
      hop: { ...hop.groups[0], latencies: hop.latencies[0], cpuPerSecond: perSecond(hop, 'node') },
      cpu: {
        ...cpu.groups[0],
        cpuMs: cpu.cpuMs.node,
        // What the node spent with one viewer, per second of the CPU window:
        // the encode (and one delivery), which a relay never pays.
        encodeCpuMs: hop.cpuMs.node === null ? null : (hop.cpuMs.node / hop.seconds) * cpu.seconds,
        seconds: cpu.seconds,
      },
    };
  } finally {
    await teardown(started);
  }
}

/**
 * The same on a producer and a relay joined through Redis: one viewer on
 * each, measured in the same window over the same frames; then `viewers`
 * viewers on the relay alone (the producer keeps encoding and publishing
 * for them, with no viewer of its own).
 */
async function nodePair(config, redis) {
  const started = [];
  try {
    const prefix = freshPrefix();
    const producer = await startNode({ redis, role: 'producer', prefix, profileDir: config.profileDir });
    started.push(producer);
    const relay = await startNode({ redis, role: 'relay', prefix, profileDir: config.profileDir });
    started.push(relay);
    const pids = { producer: producer.pid, relay: relay.pid, redis: redis.pid };
    const onProducer = await LoadGen.start(1);
    const onRelay = await LoadGen.start(1);
    started.push(onProducer, onRelay);
    await openOn(onProducer, producer.port, 1);
    await openOn(onRelay, relay.port, 1);
    await ready([onProducer, onRelay]);
    await sleep(config.warmupS * 1000);
    const hop = await measure({ gens: [onProducer, onRelay], expected: [1, 1], pids, seconds: config.latencyS });
    await onProducer.closeAll();
    await onRelay.closeAll();
    const many = await LoadGen.start(config.loadgenProcs);
    started.push(many);
    await openOn(many, relay.port, config.viewers);
    await ready([many]);
    await sleep(config.warmupS * 1000);
    const s0 = await relay.stats();
    const cpu = await measure({ gens: [many], expected: [config.viewers], pids, seconds: config.windowS });
    const s1 = await relay.stats();
    const producerStats = await producer.stats();
    return {
      hop: {
        direct: { ...hop.groups[0], latencies: hop.latencies[0], cpuPerSecond: perSecond(hop, 'producer') },
        relay: { ...hop.groups[1], latencies: hop.latencies[1], cpuPerSecond: perSecond(hop, 'relay') },
        redisCpuPerSecond: perSecond(hop, 'redis'),
      },
      cpu: {
        ...cpu.groups[0],
        cpuMs: cpu.cpuMs.relay,
        producerCpuMs: cpu.cpuMs.producer,
        redisCpuMs: cpu.cpuMs.redis,
        seconds: cpu.seconds,
        // The relay must not have made a frame itself, or it is not a relay.
        relayProduced: s1.framesProduced,
        relaySkipped: s1.framesSkipped - s0.framesSkipped,
        outOfOrder: s1.cluster?.outOfOrder ?? null,
        nodes: s1.cluster?.nodes?.length ?? null,
        hubDropped: producerStats.hubDropped,
        errors: [...new Set([...(producerStats.errorCodes ?? []), ...(s1.errorCodes ?? [])])],
      },
    };
  } finally {
    await teardown(started);
  }
}

/**
 * Pools the rounds of one kind of CPU window: CPU time and frames are
 * summed before dividing; latency and FPS are the median round's.
 */
function pooled(rounds) {
  const sum = (k) => rounds.reduce((a, r) => a + (r[k] ?? 0), 0);
  const delivered = sum('delivered');
  const cpuPerFrame = (k) => (rounds.some((r) => r[k] == null) || delivered === 0 ? null : sum(k) / delivered);
  const mid = (k) => median(rounds.map((r) => r[k]).filter((x) => x != null));
  return {
    viewers: rounds[0]?.expected ?? null,
    rounds: rounds.length,
    minFps: Math.min(...rounds.map((r) => r.minFps)),
    medianFps: mid('medianFps'),
    latencyP50: mid('latencyP50'),
    latencyP99: mid('latencyP99'),
    delivered,
    seconds: sum('seconds'),
    cpuPerFrame: cpuPerFrame('cpuMs'),
    cpuPerSecond: sum('seconds') > 0 ? sum('cpuMs') / sum('seconds') : null,
    // Its CPU with one viewer taken out: delivery alone (single node only).
    deliveryCpuPerFrame: rounds.some((r) => r.encodeCpuMs == null) || delivered === 0 ? null : (sum('cpuMs') - sum('encodeCpuMs')) / delivered,
    producerCpuPerFrame: cpuPerFrame('producerCpuMs'),
    redisCpuPerFrame: cpuPerFrame('redisCpuMs'),
    // Every process of the cluster (producer, relay, redis-server) per delivered frame.
    clusterCpuPerFrame:
      rounds.some((r) => r.producerCpuMs == null || r.redisCpuMs == null || r.cpuMs == null) || delivered === 0
        ? null
        : (sum('cpuMs') + sum('producerCpuMs') + sum('redisCpuMs')) / delivered,
  };
}

/**
 * Viewers at ≥ 29 FPS with `k` node processes: the ladder's viewer counts,
 * dealt evenly over the nodes (node 0 makes the frames; with k > 1 the
 * others relay them through Redis; with k = 1 there is no hub). Viewers are
 * added between steps as in figure 1; the ladder stops after two failing
 * steps in a row (capacity counts an unbroken run from the bottom, so it
 * ends at the first).
 */
async function scaleLadder(config, k, redis) {
  const started = [];
  const steps = [];
  const result = { nodes: k, steps, capacity: 0, stoppedAt: null, error: null };
  try {
    const prefix = freshPrefix();
    const nodes = [];
    for (let i = 0; i < k; i++) {
      const node = await startNode({ redis: k > 1 ? redis : undefined, role: i === 0 ? 'producer' : 'relay', prefix, profileDir: config.profileDir });
      started.push(node);
      nodes.push(node);
    }
    const gen = await LoadGen.start(config.loadgenProcs);
    started.push(gen);
    const pids = Object.fromEntries(nodes.map((n, i) => [`node${i}`, n.pid]));
    if (k > 1) pids.redis = redis.pid;
    const loadgenPids = Object.fromEntries(gen.pids.map((pid, i) => [`loadgen${i}`, pid]));
    const open = nodes.map(() => 0);
    for (const n of config.ladder) {
      const want = spread(n, k);
      for (let i = 0; i < k; i++) {
        if (want[i] > open[i]) await openOn(gen, nodes[i].port, want[i] - open[i]);
        open[i] = want[i];
      }
      await gen.awaitFirstFrames(30_000);
      await sleep(config.warmupS * 1000);
      const before = await Promise.all(nodes.map((node) => node.stats()));
      const w = await measure({ gens: [gen], expected: [n], pids: { ...pids, ...loadgenPids }, seconds: config.windowS });
      const after = await Promise.all(nodes.map((node) => node.stats()));
      const v = w.groups[0];
      const nodeCpu = nodes.map((_, i) => perSecond(w, `node${i}`));
      const redisCpu = k > 1 ? perSecond(w, 'redis') : null;
      // Why viewers got fewer frames, from the nodes' own counters: the
      // producing node made fewer (encoder busy), its hub dropped some on
      // the way to Redis, or a node skipped viewers whose sockets were behind.
      const rate = (i, key) => (after[i]?.[key] == null || before[i]?.[key] == null ? null : (after[i][key] - before[i][key]) / w.seconds);
      const step = {
        n,
        perNode: want,
        ...v,
        nodeCpuPerSecond: nodeCpu,
        redisCpuPerSecond: redisCpu,
        loadgenCpuPerSecond: Object.keys(loadgenPids).reduce((a, key) => a + (perSecond(w, key) ?? 0), 0),
        totalCpuPerSecond: nodeCpu.reduce((a, b) => a + (b ?? 0), 0) + (redisCpu ?? 0),
        producedPerSecond: rate(0, 'framesProduced'),
        droppedPerSecond: rate(0, 'framesDropped'),
        hubDroppedPerSecond: rate(0, 'hubDropped'),
        skippedPerSecond: nodes.map((_, i) => rate(i, 'framesSkipped')),
        errors: [...new Set(after.flatMap((x) => x?.errorCodes ?? []))],
      };
      steps.push(step);
      config.log(
        `  ${k} node(s) ${String(n).padStart(4)} viewers (${want.join('+')}): min ${step.minFps.toFixed(1)} fps (p5 ${step.p5Fps?.toFixed(1)}), ` +
          `p50 ${step.latencyP50?.toFixed(1)} ms, p99 ${step.latencyP99?.toFixed(1)} ms, cpu ${nodeCpu.map((c) => c?.toFixed(0)).join('+')}` +
          `${redisCpu !== null ? ` + redis ${redisCpu.toFixed(0)}` : ''} ms/s, loadgen ${step.loadgenCpuPerSecond.toFixed(0)} ms/s, ` +
          `produced ${step.producedPerSecond?.toFixed(1)}/s, skipped ${step.skippedPerSecond.map((x) => x?.toFixed(0)).join('+')}/s` +
          `${step.hubDroppedPerSecond ? `, hub dropped ${step.hubDroppedPerSecond.toFixed(1)}/s` : ''}${step.errors.length ? `, errors ${step.errors.join(' ')}` : ''}`,
      );
      // Two failing steps in a row end the ladder: one may be a hiccup of a
      // shared machine (the capacity still stops at it), two are the limit.
      if (step.minFps < 29 && steps.at(-2)?.minFps < 29) {
        result.stoppedAt = n;
        break;
      }
    }
  } catch (err) {
    result.error = String(err?.message ?? err);
    config.log(`  ${k} node(s): ${result.error}`);
  } finally {
    await teardown(started);
  }
  result.capacity = hubCapacity(steps);
  return result;
}

/**
 * Figure 10. framestream processes joined through a Redis hub
 * (`framestream/redis`), against a redis-server the figure starts itself:
 * 1. what the Redis hop adds to capture → viewer latency: one viewer on the
 *    producing node and one on a relay node, in the same window;
 * 2. a relay node's CPU per delivered frame with `viewers` viewers, against
 *    a single node with no hub and the same viewers;
 * 3. the largest viewer count at ≥ 29 FPS with 1, 2 and 3 node processes.
 * @param {{ ladder: number[], nodes: number[], viewers: number, rounds: number, latencyS: number, warmupS: number, windowS: number, loadgenProcs: number, profileDir?: string, log: (s: string) => void }} config
 */
export async function runHub(config) {
  const result = { redis: null, hop: null, cpu: null, scale: [], load: { start: os.loadavg()[0], end: null }, error: null };
  let redis;
  try {
    redis = await startRedis();
    result.redis = { version: redis.version };
    const singles = [];
    const pairs = [];
    for (let round = 0; round < config.rounds; round++) {
      // Alternating which goes first, so a drift in the machine's load over
      // the run does not always favour the same side.
      const order = round % 2 === 0 ? ['single', 'pair'] : ['pair', 'single'];
      for (const which of order) {
        if (which === 'single') singles.push(await singleNode(config));
        else pairs.push(await nodePair(config, redis));
      }
      const s = singles.at(-1);
      const p = pairs.at(-1);
      config.log(
        `  round ${round + 1}: 1 viewer p50/p99 ms: single ${s.hop.latencyP50?.toFixed(2)}/${s.hop.latencyP99?.toFixed(2)}, ` +
          `producer ${p.hop.direct.latencyP50?.toFixed(2)}/${p.hop.direct.latencyP99?.toFixed(2)}, relay ${p.hop.relay.latencyP50?.toFixed(2)}/${p.hop.relay.latencyP99?.toFixed(2)}; ` +
          `${config.viewers} viewers CPU ms/frame: single ${(s.cpu.cpuMs / s.cpu.delivered).toFixed(3)}, relay ${(p.cpu.cpuMs / p.cpu.delivered).toFixed(3)} ` +
          `(producer ${(p.cpu.producerCpuMs / p.cpu.delivered).toFixed(3)}, redis ${(p.cpu.redisCpuMs / p.cpu.delivered).toFixed(3)})`,
      );
    }
    // The latency samples of all rounds, pooled per side.
    const hopSide = (list) => {
      const all = list.flatMap((x) => x.latencies);
      return {
        latencyP50: median(all),
        latencyP99: quantile(all, 0.99),
        minFps: Math.min(...list.map((x) => x.minFps)),
        samples: all.length,
        cpuPerSecond: median(list.map((x) => x.cpuPerSecond).filter((x) => x != null)),
      };
    };
    const direct = hopSide(pairs.map((p) => p.hop.direct));
    const relayed = hopSide(pairs.map((p) => p.hop.relay));
    const single = hopSide(singles.map((s) => s.hop));
    result.hop = {
      seconds: config.latencyS,
      rounds: config.rounds,
      single,
      direct,
      relay: relayed,
      redisCpuPerSecond: median(pairs.map((p) => p.hop.redisCpuPerSecond).filter((x) => x != null)),
      added: hopAdds(direct, relayed),
      addedVsSingle: hopAdds(single, relayed),
    };
    const relayCpu = pooled(pairs.map((p) => p.cpu));
    const withoutSamples = ({ latencies, ...rest }) => rest;
    result.hop.perRound = { single: singles.map((s) => withoutSamples(s.hop)), direct: pairs.map((p) => withoutSamples(p.hop.direct)), relay: pairs.map((p) => withoutSamples(p.hop.relay)) };
    result.cpu = {
      viewers: config.viewers,
      single: pooled(singles.map((s) => s.cpu)),
      relay: {
        ...relayCpu,
        relayProduced: pairs.reduce((a, p) => a + p.cpu.relayProduced, 0),
        relaySkipped: pairs.reduce((a, p) => a + p.cpu.relaySkipped, 0),
        outOfOrder: pairs.reduce((a, p) => a + (p.cpu.outOfOrder ?? 0), 0),
        hubDropped: pairs.reduce((a, p) => a + (p.cpu.hubDropped ?? 0), 0),
        errors: [...new Set(pairs.flatMap((p) => p.cpu.errors))],
      },
    };
    for (const k of config.nodes) result.scale.push(await scaleLadder(config, k, redis));
  } catch (err) {
    result.error = String(err?.message ?? err);
    config.log(`  hub: ${result.error}`);
  } finally {
    await redis?.stop();
  }
  result.load.end = os.loadavg()[0];
  return result;
}
