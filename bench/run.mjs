#!/usr/bin/env node
// `npm run bench`: runs every figure of the benchmark and writes the report.
// See the usage text below, docs/benchmarks.md for the output and
// docs/performance.md for what the figures mean.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { machineInfo } from './lib/proc.mjs';
import { renderReport } from './lib/report.mjs';
import { evaluateTargets } from './lib/targets.mjs';

// Figures are imported when they run, so a bad option fails before
// playwright, sharp and friends are loaded.
const figure = (name) => import(`./figures/${name}.mjs`);

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const RESULTS = join(ROOT, 'bench', 'results');

const USAGE = `Usage: npm run bench -- [options]

  (no option)          full run, about 22 minutes; writes docs/benchmarks.md
  --quick              a few minutes (the hub figure alone takes two); writes bench/results/benchmarks-quick.md
  --soak               only the soak: 50 viewers for 10 minutes with reconnect
                       churn; adds its section to docs/benchmarks.md
  --profile            run each server under node --cpu-prof (bench/results/profiles/)
  --merge              with --only: replace just those figures in the saved
                       bench/results/full.json (the report lists which run
                       each figure came from) and rewrite docs/benchmarks.md
  --render             measure nothing: rewrite docs/benchmarks.md from the saved
                       bench/results/full.json and soak.json
  --only <list>        figures to run: fanout,stall,encode,snapshot,browser,ingest,interactive,hub
  --out <file>         Markdown report path
  --json <file>        raw results path
  --ladder <list>      viewer counts, e.g. 1,10,50
  --window <s>         measured window per step
  --warmup <s>         warm-up per step
  --stall <s>          how long the stalled viewer stops reading
  --encode-seconds <s> window per encode-path measurement
  --snapshot-seconds <s>
  --browser-frames <n> frames each browser variant is watched for
  --loadgen-procs <n>  load generator processes
  --ingest-rounds <n>  rounds of the ingest figure (each path, each format)
  --sessions <list>    session counts of the interactive figure, e.g. 1,4,8
  --hub-viewers <n>    viewers on the relay node for the hub figure's CPU window
  --hub-seconds <s>    the hub figure's latency window (one viewer per node)
  --hub-rounds <n>     rounds of the hub figure's latency and CPU windows
  --hub-nodes <list>   node counts of the hub figure's capacity ladders, e.g. 1,2,3
  --hub-ladder <list>  total viewer counts of those ladders, e.g. 1,50,100
  --soak-seconds <s>   soak length (default 600)
  --soak-viewers <n>   soak viewers (default 50)
`;

const PRESETS = {
  full: {
    ladder: [1, 10, 25, 50, 100, 150, 200],
    warmupS: 2,
    windowS: 5,
    stallS: 30,
    stallHealthy: 10,
    encodeS: 3,
    encodeRounds: 10,
    snapshotS: 5,
    snapshotConcurrency: 10,
    browserFrames: 3000,
    loadgenProcs: 2,
    ingestRounds: 3,
    ingestViewers: 50,
    sessions: [1, 2, 4, 8, 12, 16],
    oneSessionRounds: 5,
    hubViewers: 50,
    hubLatencyS: 15,
    hubRounds: 2,
    hubNodes: [1, 2, 3],
    // Past figure 1's top, where one node still held every viewer at 29 FPS.
    hubLadder: [1, 50, 100, 200, 300, 400],
  },
  quick: {
    ladder: [1, 10, 50, 100],
    warmupS: 1,
    windowS: 2,
    stallS: 5,
    stallHealthy: 10,
    encodeS: 2,
    encodeRounds: 1,
    snapshotS: 2,
    snapshotConcurrency: 10,
    browserFrames: 240,
    loadgenProcs: 2,
    ingestRounds: 1,
    ingestViewers: 50,
    sessions: [1, 4, 8],
    oneSessionRounds: 3,
    hubViewers: 50,
    hubLatencyS: 5,
    hubRounds: 1,
    hubNodes: [1, 2, 3],
    hubLadder: [1, 50, 100, 200, 300],
  },
};

const FIGURES = ['fanout', 'stall', 'encode', 'snapshot', 'browser', 'ingest', 'interactive', 'hub'];

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      merge: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      ladder: { type: 'string' },
      window: { type: 'string' },
      warmup: { type: 'string' },
      stall: { type: 'string' },
      'encode-seconds': { type: 'string' },
      'snapshot-seconds': { type: 'string' },
      'browser-frames': { type: 'string' },
      'loadgen-procs': { type: 'string' },
      'ingest-rounds': { type: 'string' },
      sessions: { type: 'string' },
      'hub-viewers': { type: 'string' },
      'hub-seconds': { type: 'string' },
      'hub-rounds': { type: 'string' },
      'hub-nodes': { type: 'string' },
      'hub-ladder': { type: 'string' },
      'soak-seconds': { type: 'string' },
      'soak-viewers': { type: 'string' },
    },
  });
  const positive = (name, raw) => {
    const n = Number(raw);
    if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`Expected \`--${name}\` to be a positive number, got \`${raw}\``);
    return n;
  };
  const mode = values.soak ? 'soak' : values.quick ? 'quick' : 'full';
  const config = { ...PRESETS[values.quick ? 'quick' : 'full'], fps: 30, quality: 90 };
  if (values.ladder !== undefined) {
    config.ladder = values.ladder.split(',').map((x) => positive('ladder', x));
    if (config.ladder.some((n, i) => i > 0 && n <= config.ladder[i - 1]))
      throw new RangeError(`Expected \`--ladder\` to increase, got \`${values.ladder}\``);
  }
  if (values.sessions !== undefined) {
    config.sessions = values.sessions.split(',').map((x) => positive('sessions', x));
    if (config.sessions.some((n, i) => !Number.isInteger(n) || (i > 0 && n <= config.sessions[i - 1])))
      throw new RangeError(`Expected \`--sessions\` to be increasing whole numbers, got \`${values.sessions}\``);
  }
  for (const [flag, key] of [
    ['hub-nodes', 'hubNodes'],
    ['hub-ladder', 'hubLadder'],
  ]) {
    if (values[flag] === undefined) continue;
    config[key] = values[flag].split(',').map((x) => positive(flag, x));
    if (config[key].some((n, i) => !Number.isInteger(n) || (i > 0 && n <= config[key][i - 1])))
      throw new RangeError(`Expected \`--${flag}\` to be increasing whole numbers, got \`${values[flag]}\``);
  }
  const numeric = {
    window: 'windowS',
    warmup: 'warmupS',
    stall: 'stallS',
    'encode-seconds': 'encodeS',
    'snapshot-seconds': 'snapshotS',
    'browser-frames': 'browserFrames',
    'loadgen-procs': 'loadgenProcs',
    'ingest-rounds': 'ingestRounds',
    'hub-viewers': 'hubViewers',
    'hub-seconds': 'hubLatencyS',
    'hub-rounds': 'hubRounds',
  };
  for (const [flag, key] of Object.entries(numeric)) if (values[flag] !== undefined) config[key] = positive(flag, values[flag]);
  for (const flag of ['hub-viewers', 'hub-rounds']) {
    if (values[flag] !== undefined && !Number.isInteger(config[numeric[flag]]))
      throw new RangeError(`Expected \`--${flag}\` to be a whole number, got \`${values[flag]}\``);
  }
  const only = values.only ? values.only.split(',') : FIGURES;
  for (const f of only) if (!FIGURES.includes(f)) throw new RangeError(`Expected \`--only\` to list ${FIGURES.join(', ')}, got \`${f}\``);
  const soak = {
    seconds: values['soak-seconds'] !== undefined ? positive('soak-seconds', values['soak-seconds']) : 600,
    viewers: values['soak-viewers'] !== undefined ? positive('soak-viewers', values['soak-viewers']) : 50,
  };
  const defaults = {
    full: ['docs/benchmarks.md', 'bench/results/full.json'],
    quick: ['bench/results/benchmarks-quick.md', 'bench/results/quick.json'],
    soak: ['docs/benchmarks.md', 'bench/results/soak.json'],
  }[mode];
  return {
    help: values.help,
    render: values.render,
    merge: values.merge,
    mode,
    config,
    only,
    soak,
    profileDir: values.profile ? join(RESULTS, 'profiles') : undefined,
    out: resolve(ROOT, values.out ?? defaults[0]),
    json: resolve(ROOT, values.json ?? defaults[1]),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
}

function ensureBuilt() {
  if (existsSync(join(ROOT, 'dist', 'server', 'index.js')) && existsSync(join(ROOT, 'dist', 'index.js'))) return;
  console.log('dist/ is missing; building it with `npm run build` first.');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

async function main() {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (err) {
    // A usage mistake: say what was wrong, not where in run.mjs it was noticed.
    console.error(`${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (opts.help) return console.log(USAGE);
  if (opts.render) {
    // Re-renders the report from a saved run, e.g. after the report's wording
    // changed; every number still comes from that run's JSON.
    const full = JSON.parse(readFileSync(join(RESULTS, 'full.json'), 'utf8'));
    const soakPath = join(RESULTS, 'soak.json');
    if (existsSync(soakPath)) full.soak = JSON.parse(readFileSync(soakPath, 'utf8'));
    write(opts.out, renderReport(full));
    return console.log(`Wrote ${opts.out} from ${join(RESULTS, 'full.json')}`);
  }
  ensureBuilt();
  const log = (s) => console.log(s);
  const started = performance.now();
  // Other processes on the machine compete with the server, the load
  // generator and the browser; the 1-minute load average, sampled through
  // the run, says how much, so a reader can tell a slow server from a busy machine.
  const loads = [];
  const loadSampler = setInterval(() => loads.push(os.loadavg()[0]), 5000);
  loadSampler.unref();
  const meta = () => ({
    load: loads.length
      ? { min: Math.min(...loads), median: [...loads].sort((a, b) => a - b)[Math.floor(loads.length / 2)], max: Math.max(...loads), samples: loads.length }
      : null,
    command: opts.command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationS: (performance.now() - started) / 1000,
    machine: machineInfo(),
    config: opts.config,
  });

  if (opts.mode === 'soak') {
    log(`Soak: ${opts.soak.viewers} viewers for ${opts.soak.seconds} s`);
    const { runSoak } = await figure('soak');
    const soak = await runSoak({ ...opts.soak, log });
    const result = { ...soak, date: meta().date, command: opts.command };
    write(opts.json, JSON.stringify(result, null, 2));
    const fullPath = join(RESULTS, 'full.json');
    if (existsSync(fullPath) && opts.out.endsWith('docs/benchmarks.md')) {
      const full = JSON.parse(readFileSync(fullPath, 'utf8'));
      write(opts.out, renderReport({ ...full, soak: result }));
      log(`Wrote ${opts.out}`);
    } else if (!opts.out.endsWith('docs/benchmarks.md')) {
      write(opts.out, renderReport({ meta: meta(), soak: result }));
      log(`Wrote ${opts.out}`);
    }
    return;
  }

  const results = {};
  const run = async (name, title, fn) => {
    if (!opts.only.includes(name)) return;
    log(`${title}`);
    results[name === 'fanout' ? 'ladder' : name] = await fn();
  };
  const c = opts.config;
  const { runLadder } = await figure('ladder');
  const { runEncode } = await figure('encode');
  const { runStall } = await figure('stall');
  const { runSnapshot } = await figure('snapshot');
  const { runBrowser } = await figure('browser');
  const { runIngest } = await figure('ingest');
  const { runInteractive } = await figure('interactive');
  const { runHub } = await figure('hub');
  await run('fanout', 'Figures 1-3: viewer ladder', () =>
    runLadder({ ladder: c.ladder, warmupS: c.warmupS, windowS: c.windowS, loadgenProcs: c.loadgenProcs, profileDir: opts.profileDir, log }),
  );
  await run('encode', 'Figure 5: encode path', () => runEncode({ seconds: c.encodeS, rounds: c.encodeRounds, log }));
  await run('stall', 'Figure 4: stalled viewer', () =>
    runStall({ healthy: c.stallHealthy, stallS: c.stallS, windowS: c.windowS, warmupS: c.warmupS, log }),
  );
  await run('snapshot', 'Figure 7: snapshot route', () =>
    runSnapshot({ concurrency: c.snapshotConcurrency, seconds: c.snapshotS, log }),
  );
  await run('browser', 'Figure 6: browser canvas', () => runBrowser({ frames: c.browserFrames, log }));
  await run('ingest', 'Figure 8: ingest endpoint', () =>
    runIngest({ rounds: c.ingestRounds, warmupS: c.warmupS, windowS: c.windowS, viewers: c.ingestViewers, loadgenProcs: c.loadgenProcs, log }),
  );
  await run('interactive', 'Figure 9: interactive sessions', () =>
    runInteractive({ sessions: c.sessions, oneSessionRounds: c.oneSessionRounds, warmupS: c.warmupS, windowS: c.windowS, log }),
  );
  await run('hub', 'Figure 10: Redis hub', () =>
    runHub({
      ladder: c.hubLadder,
      nodes: c.hubNodes,
      viewers: c.hubViewers,
      rounds: c.hubRounds,
      latencyS: c.hubLatencyS,
      warmupS: c.warmupS,
      windowS: c.windowS,
      loadgenProcs: c.loadgenProcs,
      profileDir: opts.profileDir,
      log,
    }),
  );

  const soakPath = join(RESULTS, 'soak.json');
  const fullPath = join(RESULTS, 'full.json');
  let full = { meta: meta(), ...results };
  if (opts.merge) {
    // Re-measures some figures of a saved full run (e.g. one that failed
    // because dist/ was rebuilt under it) and says so in the report.
    const saved = JSON.parse(readFileSync(fullPath, 'utf8'));
    const m = meta();
    // An earlier re-measure of the same figures is superseded, not listed.
    const figures = Object.keys(results);
    const earlier = (saved.meta.remeasured ?? [])
      .map((x) => ({ ...x, figures: x.figures.filter((f) => !figures.includes(f)) }))
      .filter((x) => x.figures.length > 0);
    saved.meta.remeasured = [...earlier, { figures, command: m.command, date: m.date, load: m.load }];
    full = { ...saved, ...results };
    opts.out = join(ROOT, 'docs', 'benchmarks.md');
    opts.json = fullPath;
  }
  if (opts.mode === 'full' && existsSync(soakPath)) full.soak = JSON.parse(readFileSync(soakPath, 'utf8'));
  write(opts.json, JSON.stringify(full, null, 2));
  write(opts.out, renderReport(full));
  log(`\nTargets:`);
  for (const t of evaluateTargets(full)) log(`  [${t.met === true ? 'met' : t.met === false ? 'MISSED' : 'n/a'}] ${t.target}: ${t.measured}`);
  log(`\nWrote ${opts.out} and ${opts.json} in ${(full.meta.durationS / 60).toFixed(1)} min`);
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});
