import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrameMessage } from '../../src/protocol/index.js';
import type { SourceFrame } from '../../src/server/index.js';
import { httpRequest, runCleanups, sleep, solidJpeg, startStream, waitFor, type Cleanups, type Viewer } from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(24, 16, [220, 20, 20]), solidJpeg(24, 16, [20, 20, 220])]);
});

const payloads = (v: Viewer) => v.binary.map((b) => Buffer.from(decodeFrameMessage(new Uint8Array(b)).payload));
const lastPayload = (v: Viewer) => payloads(v).at(-1);

/** What the snapshot route serves right now. */
async function snapshot(port: number): Promise<Buffer> {
  const res = await httpRequest(port, '/test/random');
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * A source that misbehaves on demand. `state.mode` decides what the next
 * pull does; a source function is re-created after a failure, which is how
 * a stream recovers when its model does.
 */
function unreliableSource() {
  const state = {
    mode: 'good' as 'good' | 'reject' | 'throw-sync' | 'hang',
    frame: undefined as Buffer | undefined,
    created: 0,
    release: undefined as (() => void) | undefined,
  };
  const source = (): AsyncIterable<SourceFrame> => {
    state.created++;
    return {
      [Symbol.asyncIterator]: () => ({
        next(): Promise<IteratorResult<SourceFrame>> {
          if (state.mode === 'throw-sync') throw new Error('model crashed synchronously');
          if (state.mode === 'reject') return Promise.reject(new Error('CUDA out of memory'));
          const produce = () => ({ done: false as const, value: { frame: state.frame!, metrics: { inferenceMs: 5 } } });
          if (state.mode === 'hang') {
            return new Promise((resolve) => (state.release = () => resolve(produce())));
          }
          return sleep(20).then(produce);
        },
      }),
    };
  };
  return { state, source };
}

describe('FrameStreamServer with a faulty source', () => {
  it('reports a source that rejects, keeps serving the last good frame, and recovers when the source does', async () => {
    const { state, source } = unreliableSource();
    state.frame = red;
    const f = await startStream(cleanups, { source });
    const v = await f.viewer();
    await waitFor(() => v.binary.length >= 3, 'good frames');
    state.mode = 'reject';
    await waitFor(() => f.errors.some((e) => e.code === 'ERR_SOURCE_FAILED'), 'the failure to be reported');
    expect(f.errors[0]!.message).toContain('CUDA out of memory');
    expect((await snapshot(f.port)).equals(red)).toBe(true);
    // A viewer arriving during the outage is shown the last good frame at once.
    const late = await f.viewer();
    await waitFor(() => late.binary.length >= 1, 'the last good frame for a late viewer');
    expect(lastPayload(late)!.equals(red)).toBe(true);

    const createdBefore = state.created;
    state.frame = blue;
    state.mode = 'good';
    await waitFor(() => lastPayload(v)?.equals(blue) === true, 'frames from the recovered source');
    expect(state.created).toBeGreaterThan(createdBefore);
    expect(v.closeCode).toBeUndefined();
  });

  it('reports a source whose next() throws synchronously and recovers the same way', async () => {
    const { state, source } = unreliableSource();
    state.frame = red;
    state.mode = 'throw-sync';
    const f = await startStream(cleanups, { source });
    const v = await f.viewer();
    await waitFor(() => f.errors.filter((e) => e.code === 'ERR_SOURCE_FAILED').length >= 2, 'repeated failures');
    expect(v.binary).toHaveLength(0);
    state.mode = 'good';
    await waitFor(() => v.binary.length >= 2, 'frames once the source works');
  });

  it('reports a source function that throws when called, and calls it again later', async () => {
    let calls = 0;
    const f = await startStream(cleanups, {
      source: () => {
        if (++calls <= 2) throw new Error('weights not loaded yet');
        return (async function* () {
          for (;;) {
            await sleep(20);
            yield red;
          }
        })();
      },
    });
    const v = await f.viewer();
    await waitFor(() => v.binary.length >= 2, 'frames on the third call', 30_000);
    expect(f.errors.map((e) => e.code)).toEqual(['ERR_SOURCE_FAILED', 'ERR_SOURCE_FAILED']);
    expect(f.errors[0]!.message).toContain('weights not loaded yet');
  });

  it('reports a source that hangs with ERR_SOURCE_TIMEOUT, keeps the last good frame, and goes on when it answers', async () => {
    const { state, source } = unreliableSource();
    state.frame = red;
    const f = await startStream(cleanups, { source, sourceTimeout: 1000 });
    const v = await f.viewer();
    await waitFor(() => v.binary.length >= 2, 'good frames');
    state.mode = 'hang';
    await waitFor(() => f.errors.some((e) => e.code === 'ERR_SOURCE_TIMEOUT'), 'the hang to be reported');
    expect((await snapshot(f.port)).equals(red)).toBe(true);
    const during = v.binary.length;
    state.frame = blue;
    state.mode = 'good';
    state.release!();
    await waitFor(() => lastPayload(v)?.equals(blue) === true, 'the frame the hung call finally returned');
    expect(v.binary.length).toBeGreaterThan(during);
    // One report per hang, not one per tick.
    expect(f.errors.filter((e) => e.code === 'ERR_SOURCE_TIMEOUT')).toHaveLength(1);
  });

  it('reports each garbage value a source yields and streams the good frames around them', async () => {
    const garbage: unknown[] = [
      'hello',
      42,
      null,
      { frame: 42 },
      new Uint8Array([1, 2, 3]),
      { data: [1, 2, 3], width: 1, height: 1, channels: 3 },
      { data: new Uint8Array(3), width: 1, height: 1, channels: 2 },
      { frame: red, metrics: { inferenceMs: 'fast' } },
    ];
    const f = await startStream(cleanups, {
      source: async function* () {
        yield red;
        for (const g of garbage) yield g as SourceFrame;
        for (;;) {
          await sleep(20);
          yield blue;
        }
      },
    });
    const v = await f.viewer();
    await waitFor(() => v.binary.length >= 3, 'the good frames');
    const got = payloads(v);
    expect(got[0]!.equals(red)).toBe(true);
    expect(got[1]!.equals(blue)).toBe(true);
    expect(f.errors.map((e) => e.code)).toEqual(garbage.map(() => 'ERR_INVALID_FRAME'));
  });

  it('reports an encoder failure, keeps the last good frame, and encodes the next frame', async () => {
    // libjpeg cannot write images wider than 65500 px: a real sharp failure.
    const f = await startStream(cleanups, { source: 'push', maxFrameWidth: 65_535 });
    const v = await f.viewer();
    f.stream.push(red);
    await waitFor(() => v.binary.length === 1, 'the good frame');
    f.stream.push({ data: new Uint8Array(65_535), width: 65_535, height: 1, channels: 1 });
    await waitFor(() => f.errors.length === 1, 'the encoder failure');
    expect(f.errors[0]!.code).toBe('ERR_ENCODE_FAILED');
    expect((await snapshot(f.port)).equals(red)).toBe(true);
    f.stream.push({ data: new Uint8Array(16 * 16 * 3).fill(128), width: 16, height: 16, channels: 3 });
    await waitFor(() => v.binary.length === 2, 'the next frame');
    const next = decodeFrameMessage(new Uint8Array(v.binary[1]!));
    expect(next.meta).toMatchObject({ seq: 2, width: 16, height: 16 });
  });

  it('survives listeners that throw, reporting them as ERR_HOOK_FAILED', async () => {
    const f = await startStream(cleanups, { source: 'push' });
    f.stream.on('frame', () => {
      throw new Error('app bug in frame listener');
    });
    f.stream.on('connection', () => {
      throw new Error('app bug in connection listener');
    });
    const v = await f.viewer();
    f.stream.push(red);
    f.stream.push(blue);
    await waitFor(() => v.binary.length === 2, 'both frames despite the throwing listener');
    expect(f.errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED', 'ERR_HOOK_FAILED']);
  });
});
