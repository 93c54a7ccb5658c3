// The interactive figure's clients, in a process of their own forked by
// bench/figures/interactive.mjs and driven over IPC ({ type: 'call', id,
// cmd, args } → { type: 'result', … }). One process holds every session of
// a step, each with its own socket and its own 30 FPS schedule (phases
// spread over one interval, as independent cameras would be).
//
// framestream, push: a raw framestream.v1 client over `ws`, built on
//   `encodeInputFrame` from the built package and nothing else (not
//   FrameStreamClient). A frame is captured at every tick; it goes out when
//   fewer than two are unacknowledged, else it waits and a newer capture
//   replaces it (InputWindow). Outputs name their input in metrics.inputSeq.
// baseline: `ws` with JSON text both ways, the JPEG as base64, sent at every
//   tick whatever the server is doing; outputs name their input by `seq`.
//
// Round trip = the capture (tick) time → the client holds the output JPEG's
// bytes: for framestream when the binary message arrives (its header and
// metrics read), for the baseline after JSON.parse and the base64 decode.
// Both read performance.timeOrigin + performance.now() (wallClockMs), the
// clock the server's stamps use too.
import WebSocket from 'ws';
import { encodeInputFrame, wallClockMs } from '../../dist/index.js';
import { INTERACTIVE_PATHS, InputWindow, accountSession, inputFrames } from './interactive.mjs';

const SIZE = {
  width: Number(process.env.BENCH_WIDTH ?? 512),
  height: Number(process.env.BENCH_HEIGHT ?? 512),
  fps: Number(process.env.BENCH_FPS ?? 30),
  quality: Number(process.env.BENCH_INPUT_QUALITY ?? 80),
};

const frames = await inputFrames({ count: 8, ...SIZE });

const opened = (ws) =>
  new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });

/** One client session on either path. */
class Client {
  constructor(kind, port, index) {
    this.kind = kind;
    this.index = index;
    this.seq = 0;
    this.window = new InputWindow();
    this.counting = false;
    this.captured = [];
    this.outputs = [];
    this.ticks = 0;
    this.sentCount = 0;
    this.errors = 0;
    this.closed = null;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${INTERACTIVE_PATHS[kind]}`, kind === 'baseline' ? undefined : 'framestream.v1', {
      perMessageDeflate: false,
    });
    this.ws.on('message', (data, isBinary) => (kind === 'baseline' ? this.onBaseline(data) : this.onFrameStream(data, isBinary)));
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
    this.active = new Promise((resolve, reject) => {
      this.activate = resolve;
      this.ws.once('close', (code, reason) => reject(new Error(`session ${index} closed before it was active: ${code} ${reason}`)));
    });
  }

  async open() {
    await opened(this.ws);
    this.ws.on('error', () => {}); // the close that follows is recorded
    if (this.kind === 'baseline') this.activate();
    // Bounded: a session the server never starts fails the step, not the run's clock.
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`session ${this.index} was not active within 15 s`)), 15_000);
    });
    try {
      await Promise.race([this.active, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  onFrameStream(data, isBinary) {
    const now = wallClockMs();
    if (!isBinary) {
      const msg = JSON.parse(String(data));
      if (msg.type === 'session' && msg.state === 'active') this.activate();
      else if (msg.type === 'inputAck') {
        const next = this.window.ack(msg.seq);
        if (next) this.transmit(next);
      } else if (msg.type === 'error') this.errors++;
      return;
    }
    const headerLength = data.readUInt16LE(2);
    if (headerLength <= 32) return;
    const m = JSON.parse(data.toString('utf8', 32, headerLength));
    if (typeof m.inputSeq !== 'number') return;
    this.outputs.push({ seq: m.inputSeq, receivedAt: now, modelMs: m.inferenceMs, recvAt: m.recvAt, takenAt: m.takenAt, doneAt: m.doneAt });
  }

  onBaseline(data) {
    const msg = JSON.parse(String(data));
    const jpeg = Buffer.from(msg.image, 'base64');
    const now = wallClockMs();
    if (jpeg.length === 0) return;
    this.outputs.push({ seq: msg.seq, receivedAt: now, modelMs: msg.modelMs, recvAt: msg.recvAt, takenAt: msg.takenAt, doneAt: msg.doneAt });
  }

  transmit(frame) {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const jpeg = frames[frame.seq % frames.length];
    if (this.kind !== 'baseline') this.ws.send(encodeInputFrame({ seq: frame.seq, captureTime: frame.capturedAt, codec: 'jpeg' }, jpeg));
    else this.ws.send(JSON.stringify({ seq: frame.seq, captureTime: frame.capturedAt, image: jpeg.toString('base64') }));
    this.sentCount++;
  }

  /** A camera tick: capture now; framestream sends it if the window allows, the baseline always. */
  tick() {
    const frame = { seq: ++this.seq, capturedAt: wallClockMs() };
    this.ticks++;
    if (this.counting) this.captured.push(frame);
    if (this.kind === 'baseline') return this.transmit(frame);
    const now = this.window.offer(frame);
    if (now) this.transmit(now);
  }

  /** Drift-free 30 FPS deadlines from `t0`; more than a frame behind skips ahead instead of bursting. */
  start(t0) {
    const interval = 1000 / SIZE.fps;
    let next = t0;
    const loop = () => {
      this.tick();
      next += interval;
      const now = performance.now();
      if (next < now - interval) next = now;
      this.timer = setTimeout(loop, Math.max(0, next - now));
    };
    this.timer = setTimeout(loop, Math.max(0, t0 - performance.now()));
  }

  stop() {
    clearTimeout(this.timer);
    this.window.waiting = undefined;
  }

  close() {
    this.stop();
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000);
      this.ws.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      this.ws.close(1000);
    });
  }
}

/** @type {Client[]} */
let clients = [];
let windowStart = 0;
let windowSeconds = 0;
let cpu0 = process.cpuUsage();

const calls = {
  async open({ port, kind, count }) {
    clients = Array.from({ length: count }, (_, i) => new Client(kind, port, i));
    await Promise.all(clients.map((c) => c.open()));
    return { open: clients.length, inputBytes: Math.round(frames.reduce((a, f) => a + f.length, 0) / frames.length) };
  },
  start() {
    const interval = 1000 / SIZE.fps;
    const t0 = performance.now() + 5;
    clients.forEach((c, i) => c.start(t0 + (i * interval) / clients.length));
    return {};
  },
  beginWindow() {
    for (const c of clients) {
      c.captured = [];
      c.outputs = [];
      c.counting = true;
      c.replaced0 = c.window.replaced;
      c.sent0 = c.sentCount;
      c.ticks0 = c.ticks;
    }
    windowStart = performance.now();
    cpu0 = process.cpuUsage();
    return {};
  },
  endWindow() {
    windowSeconds = (performance.now() - windowStart) / 1000;
    const u = process.cpuUsage(cpu0);
    for (const c of clients) {
      c.counting = false;
      c.stop();
      c.sent1 = c.sentCount;
      c.replaced1 = c.window.replaced;
    }
    return { seconds: windowSeconds, clientCpuMs: (u.user + u.system) / 1000 };
  },
  /** After the drain: each session's account of its window, with the server's stamps for the breakdown. */
  collect() {
    return {
      seconds: windowSeconds,
      sessions: clients.map((c) => {
        const a = accountSession(c.captured, c.outputs, windowSeconds);
        const at = new Map(c.captured.map((f) => [f.seq, f.capturedAt]));
        const seen = new Set();
        const parts = [];
        for (const o of c.outputs) {
          const t = at.get(o.seq);
          if (t === undefined || seen.has(o.seq)) continue;
          seen.add(o.seq);
          // [capture → server received, received → model took it, model, model done → client has the output]
          parts.push([o.recvAt - t, o.takenAt - o.recvAt, o.modelMs, o.receivedAt - o.doneAt]);
        }
        return {
          ...a,
          sent: c.sent1 - c.sent0,
          replaced: c.replaced1 - c.replaced0,
          errors: c.errors,
          closed: c.closed,
          parts,
        };
      }),
    };
  },
  async close() {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    return {};
  },
};

process.on('message', async (msg) => {
  if (msg?.type === 'stop') {
    await calls.close();
    process.exit(0);
  }
  if (msg?.type !== 'call') return;
  try {
    process.send?.({ type: 'result', id: msg.id, result: await calls[msg.cmd](msg.args ?? {}) });
  } catch (err) {
    process.send?.({ type: 'result', id: msg.id, error: String(err?.message ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
