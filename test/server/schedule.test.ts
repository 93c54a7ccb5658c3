import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Producer } from '../../src/server/producer.js';
import type { SourceFrame } from '../../src/server/index.js';
import { solidJpeg } from './helpers.js';

// The schedule is judged on a fake clock. The source takes a while to yield
// each frame (as a model would), which a scheduler that waited one interval
// after each frame would accumulate as drift.
describe('Producer', () => {
  describe('#schedule', () => {
    let jpeg: Buffer;
    beforeEach(async () => {
      jpeg = await solidJpeg(8, 8, [1, 2, 3]); // encoded before the clock is faked
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    });
    afterEach(() => vi.useRealTimers());

    function producer(fps: number, sourceMs: number) {
      const published: number[] = [];
      const p = new Producer({
        width: 8,
        height: 8,
        fps,
        quality: 90,
        sourceTimeout: 60_000,
        maxFrameWidth: 64,
        maxFrameHeight: 64,
        maxFrameBytes: 1 << 20,
        publish: () => void published.push(performance.now()),
        error: (err) => {
          throw err;
        },
      });
      async function* frames(): AsyncGenerator<SourceFrame> {
        for (;;) {
          await new Promise((r) => setTimeout(r, sourceMs));
          yield jpeg;
        }
      }
      p.setSource(frames());
      return { p, published };
    }

    it('keeps to start + n × interval however long each frame takes to produce', async () => {
      const { p, published } = producer(10, 30);
      p.setDemand(true);
      await vi.advanceTimersByTimeAsync(10_000);
      p.close();
      // Deadlines at 0, 100, …, 9900 ms, each frame ready 30 ms later. Waiting
      // an interval after each finished frame would have given about 77.
      expect(published).toHaveLength(100);
      expect(published.at(-1)).toBe(9930);
    });

    it('lets a source slower than the frame rate set the pace, one pull at a time', async () => {
      const { p, published } = producer(10, 250);
      p.setDemand(true);
      await vi.advanceTimersByTimeAsync(3_000);
      p.close();
      // Pulled at 0, 300, 600, …: the next deadline after each frame is ready.
      expect(published.slice(0, 4)).toEqual([250, 550, 850, 1150]);
    });

    it('produces nothing while there is no demand', async () => {
      const { p, published } = producer(30, 0);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(published).toHaveLength(0);
      p.setDemand(true);
      await vi.advanceTimersByTimeAsync(1_000);
      p.setDemand(false);
      const atStop = published.length;
      expect(atStop).toBeGreaterThanOrEqual(29);
      await vi.advanceTimersByTimeAsync(1_000);
      // At most the frame already being pulled when demand ended, then nothing.
      const settled = published.length;
      expect(settled - atStop).toBeLessThanOrEqual(1);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(published).toHaveLength(settled);
      p.close();
    });
  });
});
