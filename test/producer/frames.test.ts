import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  channelMeans,
  decodeJpeg,
  labelledJpeg,
  recordedProducer,
  runCleanups,
  solid,
  solidJpeg,
  startHost,
  TOKEN,
  waitFor,
  wireCounter,
} from './helpers.js';

afterEach(runCleanups);

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(32, 24, [220, 20, 20]), solidJpeg(32, 24, [20, 20, 220])]);
});

describe('FrameProducer', () => {
  describe('#send', () => {
    it('delivers a JPEG to viewers byte for byte, with its metrics in the frame header', async () => {
      const host = await startHost();
      const v = await host.viewer();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      producer.send(red, { inferenceMs: 41.5, step: 3 });
      await waitFor(() => v.frames().length === 1, 'the frame at the viewer');
      const [frame] = v.frames();
      expect(Buffer.from(frame!.payload).equals(red)).toBe(true);
      expect(frame!.meta.metrics).toEqual({ inferenceMs: 41.5, step: 3 });
      expect([frame!.meta.width, frame!.meta.height]).toEqual([32, 24]);
    });

    it('delivers raw uint8 and float32 pixels encoded by the server at their own size', async () => {
      const host = await startHost();
      const v = await host.viewer();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      producer.send({ data: solid(40, 20, [0, 200, 0]), width: 40, height: 20, channels: 3 });
      await waitFor(() => v.frames().length === 1, 'the uint8 frame');
      // float32 in 0-1, RGBA, and a width that is not a multiple of 4.
      const floats = new Float32Array(30 * 18 * 4).map((_, i) => (i % 4 === 2 || i % 4 === 3 ? 1 : 0.1));
      producer.send({ data: floats, width: 30, height: 18, channels: 4 });
      await waitFor(() => v.frames().length === 2, 'the float32 frame');
      const [green, blueish] = await Promise.all(v.frames().map((f) => decodeJpeg(f.payload)));
      expect([green!.width, green!.height]).toEqual([40, 20]);
      const [r, g, b] = channelMeans(green!);
      expect(g).toBeGreaterThan(180);
      expect(Math.max(r!, b!)).toBeLessThan(30);
      expect([blueish!.width, blueish!.height]).toEqual([30, 18]);
      const [r2, g2, b2] = channelMeans(blueish!);
      expect(b2).toBeGreaterThan(230);
      expect(Math.max(r2!, g2!)).toBeGreaterThan(15); // 0.1 → about 26, not 0
      expect(Math.max(r2!, g2!)).toBeLessThan(40);
    });

    it('holds a frame sent before it is admitted and sends the newest one once it is', async () => {
      const host = await startHost();
      const v = await host.viewer();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN });
      expect(producer.send(red)).toBe(false);
      expect(producer.send(blue)).toBe(false);
      await waitFor(() => v.frames().length === 1, 'the held frame');
      expect(Buffer.from(v.frames()[0]!.payload).equals(blue)).toBe(true);
      expect(producer.replaced).toBe(1);
    });

    it('copies the frame, so the caller may reuse its buffer at once', async () => {
      const host = await startHost();
      const v = await host.viewer();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN });
      const pooled = Buffer.from(red);
      producer.send(pooled); // held until admitted
      pooled.set(blue.subarray(0, Math.min(blue.length, pooled.length)));
      await waitFor(() => v.frames().length === 1, 'the frame');
      expect(Buffer.from(v.frames()[0]!.payload).equals(red)).toBe(true);
    });
  });

  describe('flow control', () => {
    it('never has more frames in flight than granted, and the viewer ends on the newest frame', async () => {
      const host = await startHost({ credits: 2 });
      const v = await host.viewer();
      const { wire, WebSocket } = wireCounter();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN, WebSocket });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      const frames = Array.from({ length: 500 }, (_, i) => labelledJpeg(red, `frame ${i}`));
      let maxInFlight = 0;
      // A model far faster than the stream: 500 frames, yielding to the
      // event loop between them so credits come back while it runs.
      for (let i = 0; i < frames.length; i++) {
        producer.send(frames[i]!, { i });
        maxInFlight = Math.max(maxInFlight, producer.inFlight);
        if (i % 5 === 4) await new Promise((r) => setImmediate(r));
      }
      const last = frames.at(-1)!;
      await waitFor(() => v.frames().length > 0 && Buffer.from(v.frames().at(-1)!.payload).equals(last), 'the newest frame at the viewer');

      expect(wire.granted).toBe(2);
      expect(wire.maxInFlight).toBeLessThanOrEqual(2);
      expect(maxInFlight).toBeLessThanOrEqual(2);
      // Paced, not queued: some frames went, the rest were replaced while waiting.
      expect(wire.framesSent).toBeGreaterThan(2);
      expect(wire.framesSent).toBeLessThan(500);
      expect(wire.framesSent + producer.replaced).toBe(500);
      expect(v.frames().at(-1)!.meta.metrics).toEqual({ i: 499 });
      // Every frame the viewer got was sent in order: ids only go up.
      const ids = v.frames().map((f) => f.meta.metrics!.i!);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      await waitFor(() => producer.inFlight === 0, 'every credit back');
    });

    it('reports its credits and emits `credit` as they come back', async () => {
      const host = await startHost({ credits: 3 });
      await host.viewer();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN });
      const credits: number[] = [];
      producer.on('credit', (n) => credits.push(n));
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      expect(producer.welcome).toMatchObject({ credits: 3, stream: { path: '/ws/model' } });
      expect(producer.credits).toBe(3);
      expect(producer.send(red)).toBe(true);
      expect(producer.credits).toBe(2);
      await waitFor(() => credits.length === 1, 'a credit');
      expect(producer.credits).toBe(3);
    });
  });
});
