// The playground's img2img "model": a real image operation with sharp on
// every camera frame, standing in for a diffusion model such as
// StreamDiffusion. Words in the prompt pick the treatment, so typing in the
// prompt box visibly changes the output within a frame or two:
//
//   neon       hue turned a third of the way round, saturation pushed hard
//   sketch     pencil lines: greyscale edges, dark on white
//   warm/cold  an orange or a blue cast
//   blur       a soft-focus blur
//   posterize  four levels per channel, flat bands of colour
//   original   the input as it came (re-encoded), to compare against
//
// Several words combine in the order they are written ("neon blur"); a
// prompt naming none of them gets the default look ("dream": richer colour,
// a gentle hue shift and a vignette). A frame costs a few ms at 512x512.
//
// A real model is slower; `delayMs` (FRAMESTREAM_MODEL_DELAY_MS in
// server.mjs) or a `delay` param sent by the page adds that much per frame,
// to see how the session behaves when the model cannot keep up with the
// camera (frames() hands it only the newest input, so the lag stays flat).
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';

/** The largest output side, px: a bigger input is scaled down to fit. */
export const MAX_SIZE = 512;
/** The largest delay a page may ask for with the `delay` param, ms. */
export const MAX_DELAY_MS = 5000;

// Each treatment takes raw RGB pixels and gives raw RGB pixels back, so they
// chain in any order (sharp itself applies one pipeline's operations in a
// fixed order of its own, whatever order they are called in).
const raw = (pixels, { width, height, channels }) => sharp(pixels, { raw: { width, height, channels } });
const toRaw = (image) => image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });

// Colour matrices as CSS filters define them (Filter Effects 1, feColorMatrix):
// one `recomb` costs a few ms where sharp's `modulate` (through LCh) costs
// over ten.
function saturate(s) {
  return [
    [0.213 + 0.787 * s, 0.715 - 0.715 * s, 0.072 - 0.072 * s],
    [0.213 - 0.213 * s, 0.715 + 0.285 * s, 0.072 - 0.072 * s],
    [0.213 - 0.213 * s, 0.715 - 0.715 * s, 0.072 + 0.928 * s],
  ];
}
function hueRotate(degrees) {
  const c = Math.cos((degrees * Math.PI) / 180);
  const s = Math.sin((degrees * Math.PI) / 180);
  return [
    [0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928],
    [0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.14, 0.072 - c * 0.072 - s * 0.283],
    [0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072],
  ];
}
const times = (a, b) => a.map((row) => b[0].map((_, j) => row.reduce((sum, v, k) => sum + v * b[k][j], 0)));

// Four levels per channel (0, 85, 170, 255), looked up rather than computed.
const POSTER = Uint8Array.from({ length: 256 }, (_, v) => Math.round(v / 85) * 85);

const NEON = times(hueRotate(120), saturate(2.6));
const DREAM = times(hueRotate(30), saturate(1.7));

// A radial darkening towards the corners, as a gain per pixel (256 = 1),
// made once per frame size.
const vignettes = new Map();
function vignette(width, height) {
  const key = `${width}x${height}`;
  let gain = vignettes.get(key);
  if (!gain) {
    gain = new Uint16Array(width * height);
    const r = Math.hypot(width, height) / 2;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const d = Math.hypot(x + 0.5 - width / 2, y + 0.5 - height / 2) / r;
        gain[y * width + x] = Math.round(256 * (1 - 0.8 * Math.max(0, (d - 0.45) / 0.55) ** 1.5));
      }
    }
    vignettes.set(key, gain);
  }
  return gain;
}

/** The treatments, by the word in the prompt that picks them. */
export const STYLES = {
  neon: (px, info) => toRaw(raw(px, info).recomb(NEON).linear(1.25, -20)),
  sketch: async (px, info) => {
    // Pencil on paper: the greyscale picture washed out towards white, with
    // its edges (a Laplacian, slightly blurred first so camera noise does
    // not count as an edge) drawn over it in dark lines.
    const grey = await raw(px, info).greyscale().blur(0.8).raw().toBuffer({ resolveWithObject: true });
    const { data: edges } = await raw(grey.data, grey.info)
      .convolve({ width: 3, height: 3, kernel: [-1, -1, -1, -1, 8, -1, -1, -1, -1] })
      .toColourspace('b-w') // one channel out, as in (sharp would give sRGB)
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Three equal channels, so another treatment can follow ("warm sketch").
    const out = Buffer.allocUnsafe(grey.data.length * 3);
    for (let p = 0, i = 0; p < grey.data.length; p++, i += 3) {
      out[i] = out[i + 1] = out[i + 2] = Math.max(0, 150 + (grey.data[p] * 105) / 255 - edges[p] * 4);
    }
    return { data: out, info: { ...grey.info, channels: 3 } };
  },
  warm: (px, info) =>
    toRaw(raw(px, info).recomb([
      [1.2, 0.1, 0],
      [0.05, 1.0, 0],
      [0, 0, 0.7],
    ])),
  cold: (px, info) =>
    toRaw(raw(px, info).recomb([
      [0.7, 0, 0],
      [0, 1.0, 0.05],
      [0, 0.1, 1.25],
    ])),
  blur: (px, info) => toRaw(raw(px, info).blur(8)),
  posterize: async (px, info) => {
    const out = Buffer.allocUnsafe(px.length);
    for (let i = 0; i < px.length; i++) out[i] = POSTER[px[i]];
    return { data: out, info };
  },
  original: async (px, info) => ({ data: px, info }),
  dream: async (px, info) => {
    const { data, info: out } = await toRaw(raw(px, info).recomb(DREAM));
    const gain = vignette(out.width, out.height);
    for (let p = 0, i = 0; p < gain.length; p++, i += 3) {
      const g = gain[p];
      data[i] = (data[i] * g) >> 8;
      data[i + 1] = (data[i + 1] * g) >> 8;
      data[i + 2] = (data[i + 2] * g) >> 8;
    }
    return { data, info: out };
  },
};

/** The look of a prompt that names no treatment. */
export const DEFAULT_STYLE = 'dream';
const MAX_STYLES = 3;

/**
 * The treatments a prompt picks, in the order its words name them (at most
 * three; a word counts once), or the default. Case and punctuation are
 * ignored, and a word matches by its start, so "Neon!", "sketchy" and
 * "blurred" all count.
 *
 * @example
 * stylesOf('a neon city, blurred') // ['neon', 'blur']
 * stylesOf('a cat')                // ['dream']
 */
export function stylesOf(prompt) {
  const picked = [];
  for (const word of String(prompt ?? '').toLowerCase().split(/[^a-z]+/)) {
    const style = word && Object.keys(STYLES).find((name) => word.startsWith(name));
    if (style && !picked.includes(style)) picked.push(style);
    if (picked.length === MAX_STYLES) break;
  }
  return picked.length > 0 ? picked : [DEFAULT_STYLE];
}

/**
 * Turns one input JPEG into the output JPEG for `prompt`. Deterministic: the
 * same input and prompt give the same bytes.
 *
 * @param {Uint8Array} jpeg one JPEG file
 * @param {{ prompt?: unknown, quality?: number }} [options]
 * @returns {Promise<Buffer>} one JPEG file, at most MAX_SIZE on a side
 */
export async function stylise(jpeg, { prompt = '', quality = 80 } = {}) {
  let { data, info } = await toRaw(
    sharp(jpeg).rotate().resize(MAX_SIZE, MAX_SIZE, { fit: 'inside', withoutEnlargement: true }),
  );
  for (const style of stylesOf(prompt)) ({ data, info } = await STYLES[style](data, info));
  return raw(data, info).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
}

/** Milliseconds from a param or the environment: a finite number clamped to [0, MAX_DELAY_MS], else 0. */
export function delayOf(value) {
  const ms = Number(value);
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_DELAY_MS) : 0;
}

/**
 * The `session` function of an interactive stream running {@link stylise}
 * on each viewer's newest camera frame with that viewer's prompt
 * (`session.params.prompt`). It stops as soon as `session.signal` fires,
 * even in the middle of a delay.
 *
 * @param {{ delayMs?: number, quality?: number, onError?: (err: Error) => void }} [options]
 *   `delayMs` is added to every frame (a slower model); a `delay` param from
 *   the page, in ms, is added on top. A frame sharp cannot read is skipped
 *   and given to `onError`; the session goes on.
 *
 * @example
 * createFrameStreamServer({ server, path: '/ws/img2img/', session: img2imgSession({ delayMs: 40 }) });
 */
export function img2imgSession({ delayMs = 0, quality = 80, onError } = {}) {
  const baseDelay = delayOf(delayMs);
  return async function* img2img(session) {
    const { signal } = session;
    for await (const input of session.frames()) {
      const started = performance.now();
      let output;
      try {
        output = await stylise(input.data, { prompt: session.params.prompt, quality });
      } catch (err) {
        onError?.(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      const delay = baseDelay + delayOf(session.params.delay);
      if (delay > 0) {
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          return; // the session ended while the model "worked"
        }
      }
      if (signal.aborted) return;
      yield { frame: output, metrics: { inferenceMs: Math.round((performance.now() - started) * 100) / 100 } };
    }
  };
}
