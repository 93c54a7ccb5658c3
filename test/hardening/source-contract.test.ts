import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SourceFrame } from '../../src/server/index.js';
import { runCleanups, sleep, solidJpeg, startStream, waitFor, type Cleanups } from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await solidJpeg(16, 16);
});

/** Collects unhandled rejections and uncaught exceptions while a test runs. */
function watchProcess(): { faults: unknown[] } {
  const faults: unknown[] = [];
  const onFault = (reason: unknown) => faults.push(reason);
  process.on('unhandledRejection', onFault);
  process.on('uncaughtException', onFault);
  cleanups.push(() => {
    process.off('unhandledRejection', onFault);
    process.off('uncaughtException', onFault);
  });
  return { faults };
}

/**
 * An iterable whose iterators answer `next()` as `answer(n)` says, counting
 * the calls in flight on each iterator. With `shared`, every
 * `[Symbol.asyncIterator]()` returns the same iterator object, as a
 * hand-written bridge often does.
 */
function handWritten(answer: (n: number) => unknown, { shared = false } = {}) {
  const state = { calls: 0, iterators: 0, maxInFlight: 0 };
  const makeIterator = () => {
    state.iterators++;
    let inFlight = 0;
    return {
      next: () => {
        const n = state.calls++;
        inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, inFlight);
        const settle = () => inFlight--;
        const result = answer(n);
        if (result instanceof Promise) return result.finally(settle);
        settle();
        return result;
      },
    };
  };
  const one = makeIterator();
  const iterable = {
    [Symbol.asyncIterator]: () => (shared ? one : makeIterator()),
  } as unknown as AsyncIterable<SourceFrame>;
  return { iterable, state };
}

describe('FrameStreamServer with a hand-written source', () => {
  it('reports a next() that resolves to undefined as ERR_SOURCE_FAILED instead of crashing the host', async () => {
    const { faults } = watchProcess();
    const { iterable, state } = handWritten(() => Promise.resolve(undefined));
    const f = await startStream(cleanups, { source: () => iterable });
    await f.viewer();
    await waitFor(() => f.errors.some((e) => e.code === 'ERR_SOURCE_FAILED'), 'the source failure');
    expect(f.errors.find((e) => e.code === 'ERR_SOURCE_FAILED')!.message).toMatch(/resolved to undefined/);
    await sleep(50);
    expect(faults).toEqual([]);
    expect(state.calls).toBeGreaterThan(0);
  });

  it.each([
    ['a new iterator each time', false],
    ['the same iterator object each time', true],
  ])(
    'never calls next() twice at once on one iterator when a viewer leaves and another joins during a slow next() (%s)',
    async (_, shared) => {
      const release: (() => void)[] = [];
      const { iterable, state } = handWritten(
        () => new Promise((resolve) => release.push(() => resolve({ done: false, value: jpeg }))),
        { shared },
      );
      const f = await startStream(cleanups, { source: () => iterable, fps: 60 });
      const first = await f.viewer();
      await waitFor(() => state.calls === 1, 'the first pull');
      await first.close();
      await waitFor(() => f.stream.viewerCount === 0, 'the first viewer to leave');
      const second = await f.viewer();
      await sleep(100); // many ticks while the first call is still outstanding
      release.shift()!(); // the old generation answers late
      await sleep(100); // many more ticks: the new iterator must still have one call at most
      expect(state.maxInFlight).toBe(1);
      await waitFor(() => {
        while (release.length) release.shift()!();
        return second.binary.length > 0;
      }, 'frames for the second viewer');
      expect(state.maxInFlight).toBe(1);
    },
  );

  it('survives iterators that answer anything, throw, never settle or settle twice (property)', async () => {
    const { faults } = watchProcess();
    // What one next() call does.
    const behaviour = fc.oneof(
      fc.constant({ kind: 'frame' as const }),
      fc.constant({ kind: 'done' as const }),
      fc.record({ kind: fc.constant('resolve' as const), value: fc.anything() }),
      fc.record({ kind: fc.constant('result' as const), value: fc.anything() }),
      fc.record({ kind: fc.constant('reject' as const), value: fc.anything() }),
      fc.record({ kind: fc.constant('throw' as const), value: fc.anything() }),
      fc.constant({ kind: 'never' as const }),
      fc.constant({ kind: 'twice' as const }),
      fc.constant({ kind: 'throwing-getter' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(behaviour, { minLength: 1, maxLength: 12 }), fc.boolean(), async (plan, factory) => {
        const local: Cleanups = [];
        try {
          const { iterable, state } = handWritten((n) => {
            const step = plan[n % plan.length]!;
            switch (step.kind) {
              case 'frame':
                return Promise.resolve({ done: false, value: jpeg });
              case 'done':
                return Promise.resolve({ done: true, value: undefined });
              case 'resolve':
                return Promise.resolve(step.value);
              case 'result':
                return Promise.resolve({ done: false, value: step.value });
              case 'reject':
                return Promise.reject(step.value);
              case 'throw':
                throw step.value;
              case 'never':
                return new Promise(() => {});
              case 'twice':
                // A thenable that calls back twice and then throws.
                return {
                  then(ok: (v: unknown) => void, fail: (e: unknown) => void) {
                    ok({ done: false, value: jpeg });
                    ok({ done: false, value: jpeg });
                    fail(new Error('late'));
                    throw new Error('after settling');
                  },
                };
              case 'throwing-getter':
                return Promise.resolve({
                  get done(): boolean {
                    throw new Error('getter');
                  },
                });
            }
          });
          const f = await startStream(local, { source: factory ? () => iterable : iterable, fps: 120, sourceTimeout: 50 });
          const v = await f.viewer();
          await sleep(40);
          await v.close();
          expect(state.maxInFlight).toBeLessThanOrEqual(1);
          for (const e of f.errors) expect(e.code).toMatch(/^ERR_(SOURCE_FAILED|SOURCE_TIMEOUT|INVALID_FRAME)$/);
        } finally {
          await runCleanups(local);
        }
      }),
      { numRuns: 40 },
    );
    await sleep(50);
    expect(faults).toEqual([]);
  });
});
