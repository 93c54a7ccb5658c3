/**
 * The ingest figure's shared parts: the frames every path sends (made the
 * same way in the server and in the producer process, so both paths carry
 * identical bytes), the producer's credit gate, and the pure accounting that
 * turns what was sent and what a viewer saw into the figure's numbers.
 * Everything but `benchFrames` is pure and tested in test/bench/harness.test.ts.
 */
import { median, quantile } from './stats.mjs';

/** The ingest stream's producer token; loopback only, in a bench child. */
export const INGEST_TOKEN = 'bench-ingest-token';
export const INGEST_PATH = '/ingest';
/** The stream fed by the producer, and the one fed by in-process `push()`. */
export const STREAM_PATHS = { ingest: '/stream', push: '/push' };

/**
 * A seeded xorshift32: the server and the producer process build the same
 * noise from the same seed, so "the same frames" holds byte for byte.
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
 * `count` frames of 512×512 (or the given size) noise: JPEG files encoded
 * once with framestream's encoder settings, or Float32 RGB in [0, 1), the
 * layout a NumPy/PyTorch pipeline hands over. Cycled by the senders, so the
 * per-frame cost measured is the path, not making pixels.
 * @param {{ format: 'jpeg' | 'float32', count: number, width: number, height: number, quality: number }} o
 * @returns {Promise<Uint8Array[] | Float32Array[]>}
 */
export async function benchFrames(o) {
  const frames = [];
  for (let i = 0; i < o.count; i++) {
    const next = xorshift(0x9e3779b9 + i * 7919);
    const n = o.width * o.height * 3;
    if (o.format === 'float32') {
      const f = new Float32Array(n);
      for (let k = 0; k < n; k++) f[k] = next() / 2 ** 32;
      frames.push(f);
    } else {
      const pixels = Buffer.allocUnsafe(n);
      for (let k = 0; k < n; k++) pixels[k] = next() & 0xff;
      const { default: sharp } = await import('sharp');
      const jpeg = await sharp(pixels, { raw: { width: o.width, height: o.height, channels: 3 } })
        .jpeg({ quality: o.quality, optimiseCoding: false })
        .toBuffer();
      frames.push(new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength));
    }
  }
  return frames;
}

/**
 * The producer's side of the credit flow control in docs/producers.md: a
 * frame is sent only with a credit in hand; without one only the newest
 * frame is kept (an older kept one is replaced, never queued) and goes out
 * when a credit comes back.
 *
 * `offer` and `credit` return the frame to send now, or `undefined`.
 * @template T
 */
export class CreditGate {
  /** @param {number} credits from the server's `welcome` */
  constructor(credits) {
    if (!(Number.isInteger(credits) && credits >= 1)) throw new RangeError(`Expected \`credits\` to be a positive integer, got \`${credits}\``);
    this.credits = credits;
    /** @type {T | undefined} */
    this.kept = undefined;
    /** Frames replaced by a newer one while waiting for a credit. */
    this.replaced = 0;
  }

  /** @param {T} frame @returns {T | undefined} */
  offer(frame) {
    if (this.credits > 0) {
      this.credits--;
      return frame;
    }
    if (this.kept !== undefined) this.replaced++;
    this.kept = frame;
    return undefined;
  }

  /** @param {number} n credits returned by the server @returns {T | undefined} */
  credit(n) {
    this.credits += n;
    if (this.kept === undefined || this.credits === 0) return undefined;
    const frame = this.kept;
    this.kept = undefined;
    this.credits--;
    return frame;
  }
}

/**
 * Frames of one window: which of the ids sent the viewer received, and the
 * latency of those it did.
 * @param {number[]} sentIds ids the producer put on the wire in the window
 * @param {{ id: number, latencyMs: number, hopMs: number }[]} received what the viewer saw (any ids)
 */
export function accountWindow(sentIds, received) {
  const sent = new Set(sentIds);
  const seen = new Set();
  const latencies = [];
  const hops = [];
  let duplicates = 0;
  for (const r of received) {
    if (!sent.has(r.id)) continue;
    if (seen.has(r.id)) {
      duplicates++;
      continue;
    }
    seen.add(r.id);
    latencies.push(r.latencyMs);
    hops.push(r.hopMs);
  }
  return { sent: sent.size, received: seen.size, lost: sent.size - seen.size, duplicates, latencies, hops };
}

/**
 * p50/p99 of a latency sample, and of the path to the server alone
 * (send → the server's capture stamp).
 * @param {number[]} latencies @param {number[]} [hops]
 */
export function latencySummary(latencies, hops = []) {
  return { frames: latencies.length, p50: median(latencies), p99: quantile(latencies, 0.99), hopP50: median(hops), hopP99: quantile(hops, 0.99) };
}

/**
 * What ingest adds over in-process `push()`: the difference of the two
 * paths' percentiles (not a percentile of differences: the frames are not
 * paired), `null` where either is missing.
 * @param {{ p50: number | null, p99: number | null } | undefined} push
 * @param {{ p50: number | null, p99: number | null } | undefined} ingest
 */
export function addedLatency(push, ingest) {
  const d = (k) => (push?.[k] == null || ingest?.[k] == null ? null : ingest[k] - push[k]);
  return { p50: d('p50'), p99: d('p99') };
}

/**
 * CPU milliseconds per frame over a window; `null` when nothing was
 * measured, so a missing figure is never printed as 0.
 * @param {number | null} cpuMs @param {number} frames
 */
export const cpuPerFrame = (cpuMs, frames) => (cpuMs === null || !(frames > 0) ? null : cpuMs / frames);

/**
 * Figure 8, the ingest endpoint: what it adds over in-process `push()` for
 * the same 512×512 JPEG frames at 30 FPS (≤ 1 ms p50, ≤ 5 ms p99), no frame
 * lost between the producer's socket and a keeping-up viewer, and at most
 * 0.2 ms of server CPU per JPEG frame passed through.
 * @param {any} ing the run's `ingest` results
 */
export function ingestTargets(ing) {
  const j = ing?.jpeg;
  if (!j) return [{ figure: 8, target: 'Ingest endpoint', measured: ing?.error ?? 'not run', met: null }];
  const f = (v, d = 2) => (v === null || v === undefined ? '—' : v.toFixed(d));
  const formats = ['jpeg', 'float32'].filter((k) => ing[k]);
  const lost = formats.reduce((a, k) => a + ing[k].ingest.lost, 0);
  const sent = formats.reduce((a, k) => a + ing[k].ingest.sent, 0);
  return [
    {
      figure: 8,
      target: 'Ingest adds ≤ 1 ms p50 over push() (512×512 JPEG, 30 FPS)',
      measured: `${f(j.added.p50)} ms (push ${f(j.push.p50)} ms, ingest ${f(j.ingest.p50)} ms)`,
      met: j.added.p50 === null ? null : j.added.p50 <= 1,
    },
    {
      figure: 8,
      target: 'Ingest adds ≤ 5 ms p99 over push() (512×512 JPEG, 30 FPS)',
      measured: `${f(j.added.p99)} ms (push ${f(j.push.p99)} ms, ingest ${f(j.ingest.p99)} ms)`,
      met: j.added.p99 === null ? null : j.added.p99 <= 5,
    },
    {
      figure: 8,
      target: 'Ingest: no frame lost at 30 FPS (sent by the producer, not received by a keeping-up viewer)',
      measured: `${lost} of ${sent} (${formats.map((k) => `${k} ${ing[k].ingest.lost}/${ing[k].ingest.sent}`).join(', ')})`,
      met: sent > 0 ? lost === 0 : null,
    },
    {
      figure: 8,
      target: 'Ingest: JPEG passthrough ≤ 0.2 ms of server CPU per frame',
      measured: `${f(j.ingest.cpuPerFrame, 3)} ms (push() ${f(j.push.cpuPerFrame, 3)} ms)`,
      met: j.ingest.cpuPerFrame === null ? null : j.ingest.cpuPerFrame <= 0.2,
    },
  ];
}
