import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { encodeInputFrame, SUBPROTOCOL } from '../../src/protocol/index.js';
import { createFrameStreamServer, type InputFrame, type SourceFrame } from '../../src/server/index.js';
import { DEFAULT_STYLE, delayOf, img2imgSession, MAX_DELAY_MS, stylesOf, stylise } from '../../playground/models/img2img.mjs';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { openViewer, waitFor } from '../server/helpers.js';

// A colourful 512x512 input: a diagonal orange-green-blue gradient, a yellow
// disc, a magenta box and white text (edges for the sketch to find).
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#e63"/><stop offset="0.5" stop-color="#3c6"/><stop offset="1" stop-color="#36e"/>
  </linearGradient></defs>
  <rect width="512" height="512" fill="url(#g)"/>
  <circle cx="200" cy="220" r="110" fill="#fd2"/>
  <rect x="300" y="300" width="150" height="120" fill="#c2c"/>
  <text x="40" y="480" font-size="60" fill="#fff">framestream</text>
</svg>`;

let input: Buffer;
beforeAll(async () => {
  input = await sharp(Buffer.from(SVG)).jpeg({ quality: 90 }).toBuffer();
});

interface Stats {
  width: number;
  height: number;
  /** Mean of each channel, 0-255. */
  r: number;
  g: number;
  b: number;
  /** Mean of max(r,g,b) - min(r,g,b): 0 for a grey picture. */
  chroma: number;
  /** Mean absolute difference between horizontal neighbours: low for a blurred picture. */
  detail: number;
}

async function stats(jpeg: Buffer): Promise<Stats> {
  const { data, info } = await sharp(jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  let r = 0, g = 0, b = 0, chroma = 0, detail = 0;
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    r += data[i]!;
    g += data[i + 1]!;
    b += data[i + 2]!;
    chroma += Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!);
    if (p % info.width !== 0) detail += Math.abs(data[i + 1]! - data[i - 2]!);
  }
  return { width: info.width, height: info.height, r: r / n, g: g / n, b: b / n, chroma: chroma / n, detail: detail / n };
}

/** Mean absolute difference per channel between two JPEGs of one size, 0-255. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((j) => sharp(j).removeAlpha().toColourspace('srgb').raw().toBuffer()));
  let sum = 0;
  for (let i = 0; i < x!.length; i++) sum += Math.abs(x![i]! - y![i]!);
  return sum / x!.length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in for the server's Session: the given input frames, then (unless `hold`) the end. */
function fakeSession(frames: InputFrame[], params: Record<string, unknown> = {}, { hold = false } = {}) {
  const controller = new AbortController();
  return {
    controller,
    session: {
      params,
      signal: controller.signal,
      async *frames() {
        yield* frames;
        if (hold) await new Promise((resolve) => controller.signal.addEventListener('abort', resolve));
      },
    } as never,
  };
}
const frame = (data: Buffer, seq = 1): InputFrame => ({ seq, captureTime: Date.now(), receivedTime: Date.now(), codec: 'jpeg', width: 512, height: 512, data });

/** What the model yields: a JPEG and the time it took. */
const output = (out: SourceFrame) => out as { frame: Buffer; metrics: { inferenceMs: number } };

describe('the playground img2img model', () => {
  describe('stylesOf', () => {
    it('picks treatments by the words of the prompt, in their order, whatever the case and punctuation', () => {
      expect(stylesOf('a Neon city, blurred')).toEqual(['neon', 'blur']);
      expect(stylesOf('SKETCHY warm warm')).toEqual(['sketch', 'warm']);
      expect(stylesOf('cold posterize neon blur')).toEqual(['cold', 'posterize', 'neon']);
    });

    it('gives a prompt that names no treatment, an empty one or none at all the default look', () => {
      for (const prompt of ['a cat on a sofa', '', undefined, 42, { prompt: 'neon' }]) expect(stylesOf(prompt)).toEqual([DEFAULT_STYLE]);
    });
  });

  describe('stylise', () => {
    it('makes the sketch grey while the input is colourful', async () => {
      const before = await stats(input);
      const after = await stats(await stylise(input, { prompt: 'sketch' }));
      expect(before.chroma).toBeGreaterThan(80);
      expect(after.chroma).toBeLessThan(3);
      expect(after).toMatchObject({ width: 512, height: 512 });
    });

    it('gives each prompt a look of its own that the pixels show', async () => {
      const original = await stats(await stylise(input, { prompt: 'original' }));
      const warm = await stats(await stylise(input, { prompt: 'warm' }));
      const cold = await stats(await stylise(input, { prompt: 'cold' }));
      const blur = await stats(await stylise(input, { prompt: 'blur' }));
      const neon = await stats(await stylise(input, { prompt: 'neon' }));
      // Warm moves colour from blue to red, cold the other way.
      expect(warm.r - warm.b).toBeGreaterThan(original.r - original.b + 20);
      expect(cold.b - cold.r).toBeGreaterThan(original.b - original.r + 20);
      // Blur loses fine detail; neon pushes saturation up.
      expect(blur.detail).toBeLessThan(original.detail * 0.6);
      expect(neon.chroma).toBeGreaterThan(original.chroma * 1.3);
    });

    it('tells every treatment apart from the input and from each other', async () => {
      const prompts = ['original', 'neon', 'sketch', 'warm', 'cold', 'blur', 'posterize', 'a cat'];
      const outputs = await Promise.all(prompts.map((prompt) => stylise(input, { prompt })));
      for (let i = 0; i < outputs.length; i++) {
        for (let j = i + 1; j < outputs.length; j++) {
          expect(await difference(outputs[i]!, outputs[j]!), `${prompts[i]} vs ${prompts[j]}`).toBeGreaterThan(4);
        }
      }
    });

    it('gives the same bytes for the same input and prompt', async () => {
      for (const prompt of ['neon', 'sketch', 'posterize', 'a cat', 'warm sketch']) {
        const [a, b] = await Promise.all([stylise(input, { prompt }), stylise(input, { prompt })]);
        expect(a.equals(b), prompt).toBe(true);
      }
    });

    it('scales a larger input down to 512 on its long side and outputs a JPEG', async () => {
      const big = await sharp(Buffer.from(SVG)).resize(1024, 768, { fit: 'fill' }).jpeg().toBuffer();
      const out = await stylise(big, { prompt: 'neon' });
      expect(out.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(await sharp(out).metadata()).toMatchObject({ format: 'jpeg', width: 512, height: 384 });
    });
  });

  describe('img2imgSession', () => {
    it('answers each input frame with the stylised frame and the time it took', async () => {
      const { session } = fakeSession([frame(input)], { prompt: 'sketch' });
      const outputs = [];
      for await (const out of img2imgSession()(session)) outputs.push(output(out));
      expect(outputs).toHaveLength(1);
      const { frame: jpeg, metrics } = outputs[0]!;
      expect(jpeg.equals(await stylise(input, { prompt: 'sketch' }))).toBe(true);
      expect(metrics.inferenceMs).toBeGreaterThan(0);
    });

    it('reads the prompt anew for every frame', async () => {
      const params: Record<string, unknown> = { prompt: 'sketch' };
      const { session } = fakeSession([frame(input, 1), frame(input, 2)], params);
      const outputs: Buffer[] = [];
      for await (const out of img2imgSession()(session)) {
        outputs.push(output(out).frame);
        params.prompt = 'neon';
      }
      expect((await stats(outputs[0]!)).chroma).toBeLessThan(3);
      expect((await stats(outputs[1]!)).chroma).toBeGreaterThan(80);
    });

    it('adds the delay it was given and the delay the page asks for', async () => {
      for (const [options, params, least] of [
        [{ delayMs: 250 }, {}, 250],
        [{}, { delay: 250 }, 250],
        [{ delayMs: 150 }, { delay: '150' }, 300],
      ] as const) {
        const { session } = fakeSession([frame(input)], { prompt: 'neon', ...params });
        const started = performance.now();
        for await (const out of img2imgSession(options)(session)) {
          expect(output(out).metrics.inferenceMs).toBeGreaterThanOrEqual(least - 1);
        }
        expect(performance.now() - started).toBeGreaterThanOrEqual(least - 1);
      }
    });

    it('keeps a delay within [0, MAX_DELAY_MS] and ignores one that is not a number', () => {
      expect([delayOf(-5), delayOf(1e9), delayOf('x'), delayOf(undefined), delayOf('40')]).toEqual([0, MAX_DELAY_MS, 0, 0, 40]);
    });

    it('stops at once when the session ends in the middle of a delay', async () => {
      const { session, controller } = fakeSession([frame(input)], { delay: MAX_DELAY_MS }, { hold: true });
      const run = (async () => {
        const outputs = [];
        for await (const out of img2imgSession()(session)) outputs.push(out);
        return outputs;
      })();
      await sleep(200);
      const aborted = performance.now();
      controller.abort();
      expect(await run).toEqual([]);
      expect(performance.now() - aborted).toBeLessThan(500);
    });

    it('skips an input sharp cannot read, says so, and goes on with the next', async () => {
      const errors: Error[] = [];
      const broken = Buffer.concat([input.subarray(0, 200), Buffer.alloc(200, 0xab)]);
      const { session } = fakeSession([frame(broken, 1), frame(input, 2)], { prompt: 'blur' });
      const outputs = [];
      for await (const out of img2imgSession({ onError: (e) => errors.push(e) })(session)) outputs.push(out);
      expect(outputs).toHaveLength(1);
      expect(errors).toHaveLength(1);
    });
  });

  describe('behind a real interactive stream', () => {
    const cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const fn of cleanups.splice(0).reverse()) await fn();
    });

    it("sends a viewer's input frame back in the look of its prompt, naming the input", async () => {
      const server = createHostServer();
      cleanups.push(() => closeServer(server));
      const stream = createFrameStreamServer({ server, path: '/ws/img2img/', session: img2imgSession() });
      cleanups.push(() => stream.close());
      const port = await listen(server);
      const viewer = await openViewer(`ws://127.0.0.1:${port}/ws/img2img/`, SUBPROTOCOL);
      cleanups.push(() => viewer.close());
      await waitFor(() => viewer.ofType('session').at(-1)?.state === 'active', 'an active session');

      // One socket, in order: the prompt is in place before the frame arrives.
      viewer.ws.send(JSON.stringify({ type: 'params', params: { prompt: 'sketch' } }));
      viewer.ws.send(encodeInputFrame({ seq: 7, captureTime: Date.now(), codec: 'jpeg' }, input));
      await waitFor(() => viewer.frames().length >= 1, 'an output frame');
      const out = viewer.frames()[0]!;
      expect(out.meta.metrics).toMatchObject({ inputSeq: 7, inferenceMs: expect.any(Number) });
      expect((await stats(Buffer.from(out.payload))).chroma).toBeLessThan(3);
    });
  });
});
