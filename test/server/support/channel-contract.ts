import { afterEach, describe, expect, it } from 'vitest';
import type { EncodedFrame, FrameChannel } from '../../../src/server/channel/channel.js';
import { Framer } from '../../../src/server/encode/framing.js';

/**
 * The behaviour every {@link FrameChannel} must have, whichever engine
 * carries the frames: run it against the in-process channel and against any
 * hub, each given a way to make a publishing and a subscribing side.
 *
 * `pair()` returns the side frames are published on and the side
 * subscribers listen on (the same channel in-process; two processes' or
 * two connections' views of one stream for a hub).
 */
export function describeFrameChannel(
  name: string,
  pair: () => Promise<{ publisher: FrameChannel; subscriber: FrameChannel; close(): Promise<void> | void }>,
  settle: () => Promise<void> = () => Promise.resolve(),
): void {
  describe(`${name} (FrameChannel)`, () => {
    const closers: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const c of closers.splice(0).reverse()) await c();
    });
    const open = async () => {
      const p = await pair();
      closers.push(() => p.close());
      return p;
    };
    const framer = new Framer('contract');
    const frame = (byte: number): EncodedFrame =>
      framer.frame({
        jpeg: Uint8Array.of(0xff, 0xd8, byte, 0xff, 0xd9),
        width: 2,
        height: 2,
        metrics: { inferenceMs: byte },
        captureTime: 1_000 + byte,
        encodedTime: 2_000 + byte,
      });

    it('delivers every published frame to every subscriber, byte for byte, with its origin stamps', async () => {
      const { publisher, subscriber } = await open();
      const a: EncodedFrame[] = [];
      const b: EncodedFrame[] = [];
      subscriber.subscribe((f) => a.push(f));
      subscriber.subscribe((f) => b.push(f));
      await settle();
      const sent = [frame(1), frame(2), frame(3)];
      for (const f of sent) publisher.publish(f);
      await settle();
      for (const got of [a, b]) {
        expect(got.map((f) => f.meta.seq)).toEqual(sent.map((f) => f.meta.seq));
        expect(got.map((f) => Buffer.from(f.message).equals(sent[got.indexOf(f)]!.message))).toEqual([true, true, true]);
        expect(got[0]!.meta).toMatchObject({ captureTime: 1_001, encodedTime: 2_001, metrics: { inferenceMs: 1 } });
        expect(got[0]!.origin).toBe('contract');
        expect(Buffer.from(got[2]!.payload)).toEqual(Buffer.from(sent[2]!.payload));
      }
    });

    it('keeps the latest frame for newcomers and snapshots', async () => {
      const { publisher, subscriber } = await open();
      subscriber.subscribe(() => {});
      await settle();
      expect(subscriber.latest).toBeUndefined();
      publisher.publish(frame(4));
      publisher.publish(frame(5));
      await settle();
      expect(subscriber.latest?.meta.captureTime).toBe(1_005);
    });

    it('stops delivering to a subscriber once it unsubscribes, and after close', async () => {
      const { publisher, subscriber } = await open();
      const got: number[] = [];
      const off = subscriber.subscribe((f) => got.push(f.meta.seq));
      await settle();
      publisher.publish(frame(6));
      await settle();
      off();
      publisher.publish(frame(7));
      await settle();
      expect(got).toHaveLength(1);
      subscriber.close();
      subscriber.close(); // twice is fine
      expect(() => publisher.publish(frame(8))).not.toThrow();
    });
  });
}
