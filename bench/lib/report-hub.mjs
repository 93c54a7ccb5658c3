// The hub figure's section of docs/benchmarks.md (figure 10), kept beside
// bench/lib/report.mjs so the figure's wording lives in one place.
import { HOP_LIMITS, RELAY_CPU_ALLOWANCE, hubCapacity } from './hub.mjs';
import { fmt } from './stats.mjs';

/** A GitHub-flavoured Markdown table; the first `textColumns` columns are left-aligned, numbers right. */
function table(head, rows, textColumns = 1) {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < textColumns ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const pct = (a, b) => (a == null || b == null || b === 0 ? '—' : `${a >= b ? '+' : ''}${fmt(((a - b) / b) * 100, 0)}%`);

function latency(hub) {
  const h = hub.hop;
  if (!h) return `Not measured${hub.error ? `: ${hub.error}` : ''}.`;
  const row = (label, x) => [label, fmt(x?.latencyP50, 2), fmt(x?.latencyP99, 2), String(x?.samples ?? '—'), fmt(x?.cpuPerSecond, 0)];
  return table(
    ['one viewer on', 'p50 (ms)', 'p99 (ms)', 'frames', 'that node’s CPU ms/s'],
    [
      row('a single node, no hub', h.single),
      row('the producing node (with the hub)', h.direct),
      row('the relay node (through Redis)', h.relay),
      ['**the hop adds** (relay − producing node, same window)', `**${fmt(h.added.p50, 2)}**`, `**${fmt(h.added.p99, 2)}**`, '', ''],
      ['relay − single node (separate windows)', fmt(h.addedVsSingle.p50, 2), fmt(h.addedVsSingle.p99, 2), '', ''],
      ['redis-server, in the producing and relay nodes’ window', '', '', '', fmt(h.redisCpuPerSecond, 0)],
    ],
  );
}

function cpu(hub) {
  const c = hub.cpu;
  if (!c) return `Not measured${hub.error ? `: ${hub.error}` : ''}.`;
  const { single, relay } = c;
  const fps = (x) => `${fmt(x.minFps)} / ${fmt(x.medianFps)}`;
  return table(
    ['process', 'slowest / median viewer FPS', 'CPU ms/s', 'CPU ms per delivered frame', 'vs single node'],
    [
      ['single node, no hub: encodes and delivers', fps(single), fmt(single.cpuPerSecond, 0), fmt(single.cpuPerFrame, 3), ''],
      ['single node, delivery alone (its one-viewer CPU taken out)', '', '', fmt(single.deliveryCpuPerFrame, 3), pct(single.deliveryCpuPerFrame, single.cpuPerFrame)],
      ['**relay node**: delivers what Redis brings', fps(relay), fmt(relay.cpuPerSecond, 0), `**${fmt(relay.cpuPerFrame, 3)}**`, pct(relay.cpuPerFrame, single.cpuPerFrame)],
      ['producing node: encodes and publishes, no viewers', '', '', fmt(relay.producerCpuPerFrame, 3), ''],
      ['redis-server', '', '', fmt(relay.redisCpuPerFrame, 3), ''],
      ['the cluster: producer + relay + redis-server', '', '', fmt(relay.clusterCpuPerFrame, 3), pct(relay.clusterCpuPerFrame, single.cpuPerFrame)],
    ],
  );
}

// The steps the ladders measured: a merged run's saved config may be another preset's.
function measuredLadder(hub) {
  return [...new Set((hub.scale ?? []).flatMap((l) => l.steps.map((s) => s.n)))].sort((a, b) => a - b);
}

function scale(hub, r) {
  const ladders = hub.scale ?? [];
  if (!ladders.length) return 'Not measured.';
  const ns = measuredLadder(hub);
  const at = (l, n) => l.steps.find((s) => s.n === n);
  const cpuCell = (s) => `${s.nodeCpuPerSecond.map((x) => fmt(x, 0)).join(' + ')}${s.redisCpuPerSecond != null ? ` + ${fmt(s.redisCpuPerSecond, 0)}` : ''}`;
  const label = (l) => `${l.nodes} node${l.nodes > 1 ? 's' : ''}`;
  const fpsTable = table(
    ['viewers', ...ladders.map((l) => `${label(l)}: slowest (median) FPS`), ...ladders.map((l) => `${label(l)}: p50 / p99 (ms)`)],
    ns.map((n) => [
      String(n),
      ...ladders.map((l) => {
        const s = at(l, n);
        return s ? `${fmt(s.minFps)} (${fmt(s.medianFps)})` : l.stoppedAt !== null && n > l.stoppedAt ? 'not run' : '—';
      }),
      ...ladders.map((l) => {
        const s = at(l, n);
        return s ? `${fmt(s.latencyP50)} / ${fmt(s.latencyP99)}` : '—';
      }),
    ]),
  );
  const cpuTable = table(
    ['viewers', ...ladders.map((l) => `${label(l)}: viewers per node`), ...ladders.map((l) => `${label(l)}: CPU ms/s per node${l.nodes > 1 ? ' + redis' : ''}`)],
    ns.map((n) => [
      String(n),
      ...ladders.map((l) => at(l, n)?.perNode.join(' + ') ?? '—'),
      ...ladders.map((l) => {
        const s = at(l, n);
        return s ? cpuCell(s) : '—';
      }),
    ]),
  );
  const top = ns.at(-1);
  const capacity = table(
    ['', ...ladders.map(label)],
    [['viewers at ≥ 29 FPS (capacity)', ...ladders.map((l) => (l.error && !l.steps.length ? 'failed' : `${hubCapacity(l.steps)}${hubCapacity(l.steps) === top ? ` (ladder top)` : ''}`))]],
  );
  const errors = ladders.filter((l) => l.error).map((l) => `- **${label(l)}** stopped: ${l.error}`);
  return [fpsTable, '', cpuTable, '', capacity, ...(errors.length ? ['', ...errors] : [])].join('\n');
}

const ladderNodes = (h) => {
  const ks = (h.scale ?? []).map((l) => l.nodes);
  return ks.length > 1 ? `${ks.slice(0, -1).join(', ')} and ${ks.at(-1)}` : String(ks[0] ?? '—');
};

/** @param {any} r the run's results */
export function hub(r) {
  const h = r.hub;
  const head = '## 10. Redis hub';
  if (!h) return `${head}\n\nNot run: \`npm run bench -- --only fanout,hub\`.`;
  if (h.error && !h.hop && !h.scale?.length) return `${head}\n\nFailed: ${h.error}`;
  const c = r.meta.config;
  const cores = r.meta.machine.cores;
  const notes = [];
  const relay = h.cpu?.relay;
  if (relay?.relayProduced > 0) notes.push(`The relay node produced ${relay.relayProduced} frame(s) of its own: it was not a pure relay, and its figures include that work.`);
  if (relay?.hubDropped > 0) notes.push(`The producing node’s hub dropped ${relay.hubDropped} message(s) because too many bytes were already on their way to Redis.`);
  if (relay?.outOfOrder > 0) notes.push(`The relay dropped ${relay.outOfOrder} frame(s) that arrived after a newer one.`);
  if (relay?.relaySkipped > 0) notes.push(`The relay skipped ${relay.relaySkipped} frame(s) for viewers whose socket was still behind.`);
  if (relay?.errors?.length) notes.push(`The nodes reported errors: ${relay.errors.map((e) => `\`${e}\``).join(', ')}.`);
  const peak = h.load ? Math.max(h.load.start, h.load.end ?? 0) : 0;
  if (peak > 2 * cores) {
    notes.push(
      `The 1-minute load average reached ${fmt(peak, 2)} on ${cores} cores during this figure (its own nodes, redis-server and load generator included, and the previous figure’s tail at its start): with more runnable threads than cores, the latency tails and the capacity ladders are lower than an idle machine gives, and the hop’s p99 mostly measures waits for a core.`,
    );
  }
  if (h.error) notes.push(`Stopped early: ${h.error}`);
  return [
    head,
    '',
    `Several framestream processes joined by \`framestream/redis\` (\`createFrameStreamServer({ hub: redisHub({ url, prefix }) })\`), through a redis-server ${h.redis?.version ?? ''} the figure starts itself on a free loopback port with nothing written to disk (\`--save '' --appendonly no\`). Every node is bench/servers/hub-node.mjs: the built \`dist/server\` and \`dist/redis\` entries on a plain http.Server, streaming what figure 1 streams (512×512 noise, JPEG quality ${c.quality}, ${c.fps} FPS). One node, the **producing node**, has the built-in noise source: it takes the Redis lease, encodes each frame once, delivers it to its own viewers and publishes it once as binary on Redis pub/sub. The others, **relay nodes**, have \`source: 'push'\` and are never pushed to, so every frame their viewers get came through Redis (with the same source on every node, whichever node’s viewers came first would take the lease; this fixes the roles). The **single node** has no hub: in-process fan-out, as in figure 1. Viewers are the load generator’s (bench/loadgen.mjs), latency is the header’s capture time (stamped on the producing node) to the arrival of the message’s last byte (same machine, same clock), and CPU time (all threads) is read from \`/proc/<pid>\` for each node and for redis-server, as in figure 1. Each part waits for every viewer’s first frame and ${c.warmupS} s of warm-up before its window.${h.load ? ` The machine’s 1-minute load average was ${fmt(h.load.start, 2)} when this figure began and ${fmt(h.load.end, 2)} when it ended, on ${cores} cores.` : ''}`,
    '',
    `**What the Redis hop adds to latency.** One viewer on the producing node and one on the relay node, measured in the same ${c.hubLatencyS ?? h.hop?.seconds} s window, so both see the same frames; then one viewer on the single node in a window of its own. ${h.hop?.rounds ?? c.hubRounds ?? 1} round(s), alternating which goes first; the percentiles are over all rounds’ frames. The hop is the relay’s percentile minus the producing node’s (the frames are not paired, so it is a difference of percentiles). Targets: ≤ ${HOP_LIMITS.p50} ms at p50, ≤ ${HOP_LIMITS.p99} ms at p99.`,
    '',
    latency(h),
    '',
    `**CPU per delivered frame.** ${h.cpu?.viewers ?? c.hubViewers} viewers on the relay node (none on the producing node, which still encodes and publishes for them), against the same viewers on the single node; a ${c.windowS} s window per round. CPU time over the window divided by frames delivered to all viewers. The target holds the relay to within ${RELAY_CPU_ALLOWANCE * 100}% of the single node’s figure, which includes its encode; “delivery alone” takes out what the single node spent with one viewer (the encode, one delivery), the fairer match for a node that never encodes. The cluster line is what the hub costs in all: the same frames delivered with three processes’ CPU instead of one’s.`,
    '',
    cpu(h),
    '',
    `**Viewers at ≥ 29 FPS on ${ladderNodes(h)} node processes.** A ladder of ${measuredLadder(h).join(', ')} viewers in all (past figure 1’s top, which one node may reach), dealt evenly over the nodes: node 1 produces, the others relay; with one node there is no hub. Viewers are added between steps; a ladder stops after two steps in a row with a viewer below 29 FPS, and capacity is the largest step at which every viewer got ≥ 29 FPS with every smaller step passing too, as in figure 1. **This machine has ${cores} cores:** every node process, redis-server and the ${c.loadgenProcs} load-generator process(es) share them, so more nodes here add no CPU, only more processes competing for the same cores. These ladders show what the hub costs and how the load spreads over processes, not how a cluster of machines scales; on separate machines each relay brings its own cores.`,
    '',
    scale(h, r),
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}
