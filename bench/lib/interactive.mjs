/**
 * The interactive figure's shared parts: the camera-like input frames the
 * clients send, the model both servers run, the client's input window (at
 * most two frames unacknowledged, the newest replacing one still waiting),
 * and the pure accounting that turns what a client sent and received into
 * the figure's numbers. Everything but `inputFrames` and `fixedCost` is pure
 * and tested in test/bench/harness.test.ts.
 */
import { median, quantile } from './stats.mjs';

/**
 * The endpoints, on one server: framestream with the model as an async
 * generator (the shape docs/sessions.md shows), framestream with the model
 * calling `session.push()`, and the hand-written baseline.
 */
export const INTERACTIVE_PATHS = { framestream: '/session', push: '/session-push', baseline: '/baseline' };

/** The paths in the order the first step runs them; later steps rotate it. */
export const INTERACTIVE_KINDS = ['framestream', 'push', 'baseline'];

/** The model's fixed cost per input frame, ms. */
export const MODEL_MS = 10;

/** Input frames a client may have sent and not yet seen acknowledged, as `FrameStreamClient` does. */
export const MAX_UNACKED = 2;

/** A session "holds" the stream at this many output frames per second. */
export const SESSION_FPS_FLOOR = 29;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The model is a sleep, not a busy-wait: an img2img model runs on a GPU (or
// a worker) while the server's event loop waits for it, so sessions overlap
// the way they would on hardware with room for them. A busy-wait would
// instead measure how many 10 ms spins fit on this machine's event loop
// (three sessions at 30 FPS), the same for any transport. Both servers use
// this function, and each measures how long it really took (setTimeout
// fires late, more so on a busy machine): that is the "model time" reported.
/** Awaits the model's fixed cost; resolves to the ms it really took. */
export async function fixedCost(ms = MODEL_MS) {
  const t0 = performance.now();
  await sleep(ms);
  return performance.now() - t0;
}

/**
 * A seeded xorshift32, so every client process builds the same frames.
 * @param {number} seed
 */
function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * `count` camera-like input frames: a smooth scene (gradients and a bright
 * disc that moves from frame to frame) with mild sensor noise, encoded as
 * JPEG at `quality`. Random noise would make 200 KB+ files no camera at
 * this size produces; these land where a webcam frame does.
 * @param {{ count: number, width: number, height: number, quality: number }} o
 * @returns {Promise<Buffer[]>}
 */
export async function inputFrames(o) {
  const { default: sharp } = await import('sharp');
  const frames = [];
  for (let i = 0; i < o.count; i++) {
    const next = xorshift(0x2545f491 + i * 104729);
    const px = Buffer.allocUnsafe(o.width * o.height * 3);
    const cx = o.width * (0.3 + 0.4 * (i / Math.max(1, o.count - 1)));
    const cy = o.height * 0.5;
    const r2 = (o.width * 0.18) ** 2;
    for (let y = 0, k = 0; y < o.height; y++) {
      for (let x = 0; x < o.width; x++, k += 3) {
        const disc = (x - cx) ** 2 + (y - cy) ** 2 < r2 ? 90 : 0;
        const n = (next() & 15) - 8;
        px[k] = Math.max(0, Math.min(255, 40 + (x * 150) / o.width + disc + n));
        px[k + 1] = Math.max(0, Math.min(255, 60 + (y * 120) / o.height + disc / 2 + n));
        px[k + 2] = Math.max(0, Math.min(255, 120 + 60 * Math.sin((x + y) / 40) + n));
      }
    }
    frames.push(await sharp(px, { raw: { width: o.width, height: o.height, channels: 3 } }).jpeg({ quality: o.quality }).toBuffer());
  }
  return frames;
}

/**
 * The client's side of framestream's input flow control (docs/sessions.md):
 * at most `limit` input frames sent and not yet acknowledged; a frame that
 * finds the window full waits, and a newer one replaces it (the replaced
 * one is never sent). An `inputAck` for `seq` acknowledges every frame up
 * to it.
 *
 * `offer` and `ack` return the frame to send now, or `undefined`.
 * @template {{ seq: number }} T
 */
export class InputWindow {
  /** @param {number} [limit] */
  constructor(limit = MAX_UNACKED) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`Expected \`limit\` to be a positive integer, got \`${limit}\``);
    this.limit = limit;
    /** Sequence numbers sent and not yet acknowledged, oldest first. */
    this.unacked = [];
    /** @type {T | undefined} */
    this.waiting = undefined;
    /** Frames replaced by a newer one before they could be sent. */
    this.replaced = 0;
  }

  /** @param {T} frame @returns {T | undefined} */
  offer(frame) {
    if (this.unacked.length < this.limit) {
      this.unacked.push(frame.seq);
      return frame;
    }
    if (this.waiting !== undefined) this.replaced++;
    this.waiting = frame;
    return undefined;
  }

  /** @param {number} seq from the server's `inputAck` @returns {T | undefined} */
  ack(seq) {
    while (this.unacked.length && this.unacked[0] <= seq) this.unacked.shift();
    if (this.waiting === undefined || this.unacked.length >= this.limit) return undefined;
    const frame = this.waiting;
    this.waiting = undefined;
    this.unacked.push(frame.seq);
    return frame;
  }
}

/**
 * One session's window: round trips of the input frames it captured in the
 * window whose answer arrived (the first output naming each; a later one is
 * a duplicate), and its output rate.
 * @param {{ seq: number, capturedAt: number }[]} captured frames captured in the window (sent or not)
 * @param {{ seq: number, receivedAt: number }[]} outputs every output received, naming the input it answers
 * @param {number} seconds the window's length
 */
export function accountSession(captured, outputs, seconds) {
  const at = new Map(captured.map((c) => [c.seq, c.capturedAt]));
  const answered = new Set();
  const roundTrips = [];
  let duplicates = 0;
  for (const o of outputs) {
    const t = at.get(o.seq);
    if (t === undefined) continue;
    if (answered.has(o.seq)) {
      duplicates++;
      continue;
    }
    answered.add(o.seq);
    roundTrips.push(o.receivedAt - t);
  }
  return {
    captured: captured.length,
    answered: answered.size,
    unanswered: captured.length - answered.size,
    duplicates,
    roundTrips,
    fps: seconds > 0 ? answered.size / seconds : 0,
  };
}

/**
 * One step of the ladder (n sessions on one path, possibly several windows
 * of them pooled): round-trip percentiles over every session's answered
 * frames, and the slowest session's rate.
 * @param {number} n sessions at once
 * @param {ReturnType<typeof accountSession>[]} sessions
 * @param {number} [expected] sessions the step ran (n × windows)
 */
export function summarizeStep(n, sessions, expected = n) {
  const roundTrips = sessions.flatMap((s) => s.roundTrips);
  const fps = sessions.map((s) => s.fps);
  const sum = (k) => sessions.reduce((a, s) => a + s[k], 0);
  return {
    n,
    sessions: sessions.length,
    p50: median(roundTrips),
    p99: quantile(roundTrips, 0.99),
    // A session that never connected counts as 0 FPS, never as missing.
    minFps: sessions.length === expected && fps.length ? Math.min(...fps) : 0,
    medianFps: median(fps),
    captured: sum('captured'),
    answered: sum('answered'),
    unanswered: sum('unanswered'),
  };
}

/**
 * Largest session count at which every session got ≥ 29 output FPS,
 * counting only an unbroken run from the bottom of the ladder.
 * @param {{ n: number, minFps: number }[]} steps
 */
export function sessionCapacity(steps) {
  let cap = 0;
  for (const s of steps) {
    if (s.minFps >= SESSION_FPS_FLOOR) cap = s.n;
    else break;
  }
  return cap;
}

/**
 * The interactive figure's targets (issue 11): at one session, Node client
 * on loopback, round trip p50 ≤ model time + 15 ms and p99 ≤ model time +
 * 40 ms; and, in headless Chromium, camera capture → painted output p50 ≤
 * model time + 50 ms. "Model time" is the model's nominal cost; the time it
 * really took is in the report beside it.
 * @param {any} it the run's `interactive` results
 */
export function interactiveTargets(it) {
  const fig = 9;
  const one = it?.framestream?.steps?.find((s) => s.n === 1);
  const modelMs = it?.modelMs ?? MODEL_MS;
  const f = (v) => (v === null || v === undefined ? '—' : v.toFixed(1));
  const out = [];
  if (!one) out.push({ figure: fig, target: 'Interactive round trip at 1 session', measured: it?.error ?? (it ? 'no 1-session step' : 'not run'), met: null });
  else {
    out.push({
      figure: fig,
      target: `Interactive: round trip p50 ≤ model time + 15 ms at 1 session (Node client, loopback; model ${modelMs} ms)`,
      measured: `${f(one.p50)} ms vs ${f(modelMs + 15)} ms`,
      met: one.p50 === null ? null : one.p50 <= modelMs + 15,
    });
    out.push({
      figure: fig,
      target: `Interactive: round trip p99 ≤ model time + 40 ms at 1 session (Node client, loopback; model ${modelMs} ms)`,
      measured: `${f(one.p99)} ms vs ${f(modelMs + 40)} ms`,
      met: one.p99 === null ? null : one.p99 <= modelMs + 40,
    });
  }
  const b = it?.browser;
  out.push({
    figure: fig,
    target: `Interactive: camera capture → painted output p50 ≤ model time + 50 ms (headless Chromium, the default worker client)`,
    measured: b?.measured ? `${f(b.p50)} ms vs ${f(modelMs + 50)} ms` : b?.reason ?? 'not run',
    met: b?.measured && b.p50 !== null ? b.p50 <= modelMs + 50 : null,
  });
  return out;
}
