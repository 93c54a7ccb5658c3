// Figure 5's measuring process. The bare path and framestream take turns in
// this one process: a few seconds of one, then of the other, so both run
// with the same heap, the same sharp and libvips, and whatever the shared
// machine is doing at that moment. Started by bench/figures/encode.mjs with
// BENCH_SOURCE (noise or float32), ENCODE_SECONDS and ENCODE_ROUNDS; it
// sends back each round's CPU milliseconds per produced frame.
//
// The bare path is the least code that does the same per-frame work:
// random RGB and one sharp encode, or a Float32 frame converted to bytes (a
// Uint8ClampedArray store rounds and clamps) and one encode. framestream is
// the built `framestream/server` entry with its noise source, or its push
// source fed the same Float32 frames, exactly as a user runs it.
import { createServer } from 'node:http';
import { createFrameStreamServer } from '../dist/server/index.js';
import { SETTINGS, encodeJpeg, noisePixels } from './servers/common.mjs';
import { float32Frames } from './servers/float32.mjs';

const source = process.env.BENCH_SOURCE ?? 'noise';
const seconds = Number(process.env.ENCODE_SECONDS ?? 3);
const rounds = Number(process.env.ENCODE_ROUNDS ?? 1);
const frames = source === 'float32' ? float32Frames(4) : [];
const interval = 1000 / SETTINGS.fps;
// Each turn starts with a second that is not measured: framestream's
// stream is created per turn, and its first frames would bill start-up.
const SETTLE_MS = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `step` at the stream's rate on a drift-free schedule until stopped. */
function paced(step) {
  let next = performance.now();
  let timer;
  let stopped = false;
  const tick = async () => {
    await step();
    if (stopped) return;
    next += interval;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function startBare() {
  let produced = 0;
  const stop = paced(async () => {
    let pixels;
    if (source === 'float32') {
      const f = frames[produced % frames.length];
      // Uninitialised memory, as framestream takes: a zero-filled array
      // would bill the bare path for a fill it does not need.
      const bytes = Buffer.allocUnsafe(f.length);
      pixels = new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, f.length);
      for (let k = 0; k < f.length; k++) pixels[k] = f[k] * 255;
    } else {
      pixels = noisePixels();
    }
    await encodeJpeg(pixels);
    produced++;
  });
  return { produced: () => produced, encodeMs: () => null, stop: async () => stop() };
}

async function startFramestream() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { width, height } = SETTINGS;
  const stream = createFrameStreamServer({
    server,
    source: source === 'float32' ? 'push' : 'noise',
    width,
    height,
    fps: SETTINGS.fps,
    quality: SETTINGS.quality,
    alwaysOn: true,
  });
  stream.on('error', (err) => process.stderr.write(`framestream error: ${err.message}\n`));
  let i = 0;
  const stopPushing = source === 'float32' ? paced(() => stream.push({ data: frames[i++ % frames.length], width, height, channels: 3 })) : () => {};
  return {
    produced: () => stream.getStats().framesProduced,
    encodeMs: () => stream.getStats().encodeMs ?? null,
    async stop() {
      stopPushing();
      await stream.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** CPU milliseconds (all threads of this process) per frame over one turn. */
async function turn(start) {
  const path = await start();
  try {
    await sleep(SETTLE_MS);
    const cpu0 = process.cpuUsage();
    const frames0 = path.produced();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const produced = path.produced() - frames0;
    if (produced <= 0) throw new Error(`${source}: no frames produced in ${seconds} s`);
    return { cpuMs: (cpu.user + cpu.system) / 1000 / produced, encodeMs: path.encodeMs() };
  } finally {
    await path.stop();
  }
}

// One turn of each first, not counted: the bare conversion loop and
// framestream's code are compiled by V8 during their first turn, which would
// bill compilation to whichever path ran first.
await turn(startBare);
await turn(startFramestream);

const results = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so a drift in the machine's load within a
  // round does not always favour the same side.
  const order = r % 2 === 0 ? ['bare', 'framestream'] : ['framestream', 'bare'];
  const round = {};
  for (const kind of order) round[kind] = await turn(kind === 'bare' ? startBare : startFramestream);
  results.push({ bare: round.bare.cpuMs, framestream: round.framestream.cpuMs, encodeMs: round.framestream.encodeMs });
}
process.send?.({ type: 'result', rounds: results });
