import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_CODES, encodeInputFrame, SUBPROTOCOL } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServerOptions, type InputFrame, type Session } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { openViewer, solidJpeg, waitFor, type TestViewer } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let jpegs: Buffer[];
beforeAll(async () => {
  jpegs = await Promise.all([0, 1, 2, 3].map((i) => solidJpeg(16, 16, [i * 60, 100, 200 - i * 40])));
});

async function setup(options: Partial<FrameStreamServerOptions> & Pick<FrameStreamServerOptions, 'session'>) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({ server, path: '/ws/live/', ...options });
  cleanups.push(() => stream.close());
  const errors: Error[] = [];
  stream.on('error', (e) => errors.push(e));
  const port = await listen(server);
  const viewer = async (query = '') => {
    const v = await openViewer(`ws://127.0.0.1:${port}/ws/live/${query}`, SUBPROTOCOL);
    cleanups.push(() => v.close());
    return v;
  };
  return { server, stream, port, errors, viewer };
}

const sessionState = (v: TestViewer) => v.ofType('session').at(-1);
const active = (v: TestViewer) => waitFor(() => sessionState(v)?.state === 'active', 'an active session');
let seq = 0;
const sendInput = (v: TestViewer, jpeg: Buffer, s = ++seq) => v.ws.send(encodeInputFrame({ seq: s, captureTime: Date.now(), codec: 'jpeg' }, jpeg));

/** A model that answers every input frame with that frame, as an async generator over frames(). */
const echo = async function* (session: Session) {
  for await (const input of session.frames()) yield { frame: input.data };
};

describe('FrameStreamServer with sessions', () => {
  it('gives each viewer its own session: its input comes back to it alone, naming the input it answers', async () => {
    const { viewer } = await setup({ session: echo });
    const alice = await viewer();
    const bob = await viewer();
    await active(alice);
    await active(bob);
    expect(sessionState(alice)).toMatchObject({ spectator: false, expiresAt: null });
    expect(alice.ofType('session').map((m) => m.state)).toEqual(['active']); // never queued for a moment
    sendInput(alice, jpegs[1]!, 41);
    await waitFor(() => alice.frames().length === 1, "alice's output");
    const out = alice.frames()[0]!;
    expect(Buffer.from(out.payload).equals(jpegs[1]!)).toBe(true);
    expect(out.meta.metrics).toMatchObject({ inputSeq: 41, inferenceMs: expect.any(Number) });
    expect(alice.ofType('inputAck')).toEqual([{ type: 'inputAck', seq: 41 }]);
    await sleep(100);
    expect(bob.frames()).toHaveLength(0);
    expect(alice.ofType('hello')[0]!.stream.source).toBe('session');
  });

  it('hands a slow model only the newest input (latest wins), acknowledging the ones it skipped', async () => {
    const seen: number[] = [];
    const { viewer } = await setup({
      session: async function* (session) {
        for await (const input of session.frames()) {
          seen.push(input.seq);
          await sleep(150);
          yield input.data;
        }
      },
    });
    const v = await viewer();
    await active(v);
    for (let i = 1; i <= 10; i++) sendInput(v, jpegs[i % 4]!, 100 + i);
    await waitFor(() => v.ofType('inputAck').some((a) => a.seq === 110), 'the last ack');
    // Whatever was newest each time the model asked: rising, ending on the last.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(110);
    expect(seen.length).toBeLessThan(4);
  });

  it("asks the model for its next frame as soon as it yields, not on the stream's clock", async () => {
    // At fps 1 a pull per tick would take three seconds for three answers.
    const { viewer } = await setup({ session: echo, fps: 1 });
    const v = await viewer();
    await active(v);
    const started = Date.now();
    for (let i = 1; i <= 3; i++) {
      sendInput(v, jpegs[i]!, 200 + i);
      await waitFor(() => v.frames().length === i, `answer ${i}`);
    }
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('passes params to the model and tells it when they change', async () => {
    const prompts: unknown[] = [];
    const { viewer } = await setup({
      session: (session) => {
        session.on('params', (p) => prompts.push(p.prompt));
      },
    });
    const v = await viewer();
    await active(v);
    v.send({ type: 'params', params: { prompt: 'a red fox' } });
    v.send({ type: 'params', params: { prompt: 'a blue fox' } });
    await waitFor(() => prompts.length === 2, 'both params');
    expect(prompts).toEqual(['a red fox', 'a blue fox']);
  });

  it('queues viewers past maxSessions with their place, and starts the next when a session ends', async () => {
    const { viewer, stream } = await setup({ session: echo, maxSessions: 1 });
    const first = await viewer();
    await active(first);
    const second = await viewer();
    const third = await viewer();
    await waitFor(() => sessionState(third)?.state === 'queued', 'the third to queue');
    expect(sessionState(second)).toMatchObject({ state: 'queued', position: 1 });
    expect(sessionState(third)).toMatchObject({ state: 'queued', position: 2 });
    expect(stream.getStats().sessions).toEqual({ active: 1, queued: 2, spectators: 0 });
    sendInput(second, jpegs[0]!);
    await waitFor(() => second.ofType('error').length === 1, 'the refusal');
    expect(second.ofType('error')[0]!.code).toBe('ERR_NOT_IN_SESSION');
    first.ws.close(1000);
    await active(second);
    await waitFor(() => sessionState(third)?.state === 'queued' && (sessionState(third) as { position: number }).position === 1, 'the third to move up');
  });

  it('ends a session at sessionTimeout with 4408 and a reason', async () => {
    const { viewer } = await setup({ session: echo, sessionTimeout: 300 });
    const v = await viewer();
    await active(v);
    expect((sessionState(v) as { expiresAt: number }).expiresAt).toBeGreaterThan(Date.now());
    await waitFor(() => v.closeCode !== undefined, 'the session to end');
    expect(v.closeCode).toBe(CLOSE_CODES.sessionTimeout);
    expect(sessionState(v)).toMatchObject({ state: 'ended', reason: expect.stringMatching(/time limit/) });
  });

  it('gives a viewer whose socket dropped the same session back with its token: id, params and model state', async () => {
    let starts = 0;
    const { viewer } = await setup({
      sessionGrace: 5000,
      session: async function* (session) {
        starts++;
        let n = 0;
        for await (const input of session.frames()) yield { frame: input.data, metrics: { n: ++n, prompt: session.params.prompt === 'kept' ? 1 : 0 } };
      },
    });
    const v = await viewer();
    await active(v);
    const { id, token } = sessionState(v) as { id: string; token: string };
    v.send({ type: 'params', params: { prompt: 'kept' } });
    sendInput(v, jpegs[0]!);
    await waitFor(() => v.frames().length === 1, 'a frame');
    v.ws.terminate(); // the socket drops without a goodbye
    const back = await viewer(`?session=${encodeURIComponent(token)}`);
    await active(back);
    expect((sessionState(back) as { id: string }).id).toBe(id);
    sendInput(back, jpegs[1]!);
    await waitFor(() => back.frames().length >= 1, 'a frame after resuming');
    expect(back.frames().at(-1)!.meta.metrics).toMatchObject({ n: 2, prompt: 1 });
    expect(starts).toBe(1);
  });

  it('never lets a stranger take a session: a wrong token starts a new one', async () => {
    const { viewer } = await setup({ session: echo });
    const v = await viewer();
    await active(v);
    const other = await viewer('?session=guessed-token');
    await active(other);
    expect((sessionState(other) as { id: string }).id).not.toBe((sessionState(v) as { id: string }).id);
    expect(v.closeCode).toBeUndefined();
  });

  it('refuses hostile input frames with a clear error, never reaching the model, and leaves other sessions alone', async () => {
    const inputs: InputFrame[] = [];
    const { viewer } = await setup({
      maxInputBytes: 4096,
      session: async function* (session) {
        for await (const input of session.frames()) {
          inputs.push(input);
          yield input.data;
        }
      },
    });
    const attacker = await viewer();
    const bystander = await viewer();
    await active(attacker);
    await active(bystander);
    attacker.ws.send(Buffer.from([2, 1, 16, 0])); // a header cut short
    attacker.ws.send(encodeInputFrame({ seq: 1, captureTime: 0, codec: 'jpeg' }, Buffer.from('not a jpeg at all')));
    attacker.ws.send(encodeInputFrame({ seq: 2, captureTime: 0, codec: 'jpeg' }, Buffer.alloc(5000, 0xff)));
    await waitFor(() => attacker.ofType('error').length === 3, 'three refusals');
    expect(attacker.ofType('error').map((e) => e.code)).toEqual(['ERR_INPUT_INVALID', 'ERR_INPUT_INVALID', 'ERR_INPUT_TOO_LARGE']);
    sendInput(bystander, jpegs[2]!);
    await waitFor(() => bystander.frames().length === 1, "the bystander's frame");
    expect(inputs.map((i) => i.data.byteLength)).toEqual([jpegs[2]!.byteLength]);
    expect(attacker.closeCode).toBeUndefined();
  });

  it('survives fuzzed input frames: each is refused or reaches the model as a real JPEG, and another session streams on (property)', async () => {
    const reached: InputFrame[] = [];
    const { viewer, errors } = await setup({
      maxInputBytes: 8192,
      controlRateLimit: { messages: 10_000, perMs: 1000 }, // the pings that pace the property
      session: async function* (session) {
        for await (const input of session.frames()) {
          reached.push(input);
          yield input.data;
        }
      },
    });
    const attacker = await viewer();
    const bystander = await viewer();
    await active(attacker);
    await active(bystander);
    const jpeg = jpegs[0]!;
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ minLength: 16, maxLength: 9000 }).map((b) => {
        b[0] = 2;
        return b;
      }),
      // A valid header in front of a damaged JPEG, or of a JPEG cut short.
      fc.tuple(fc.nat(jpeg.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        const damaged = Buffer.from(jpeg);
        damaged[at] = byte;
        return encodeInputFrame({ seq: 1, captureTime: 0, codec: 'jpeg' }, damaged);
      }),
      fc.nat(jpeg.length).map((n) => encodeInputFrame({ seq: 1, captureTime: 0, codec: 'jpeg' }, jpeg.subarray(0, n))),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        attacker.ws.send(bytes);
        // Messages are handled in order: the pong says this input was dealt with.
        const id = ++n;
        attacker.send({ type: 'ping', id, clientTime: 0 });
        await waitFor(() => attacker.ofType('pong').some((p) => p.id === id), 'the pong after the input');
      }),
      { numRuns: 60 },
    );
    for (const r of reached) expect(r.data[0] === 0xff && r.data[1] === 0xd8).toBe(true);
    sendInput(bystander, jpegs[2]!);
    await waitFor(() => bystander.frames().length === 1, "the bystander's frame");
    expect(attacker.closeCode).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('cleans up when a session ends: the signal aborts, the model\'s generator finishes, nothing is left running', async () => {
    const events: string[] = [];
    const { viewer, stream } = await setup({
      session: async function* (session) {
        session.signal.addEventListener('abort', () => events.push('aborted'));
        try {
          for await (const input of session.frames()) yield input.data;
        } finally {
          events.push('finally');
        }
      },
    });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const v = await viewer();
    await active(v);
    sendInput(v, jpegs[0]!);
    await waitFor(() => v.frames().length === 1, 'a frame');
    v.ws.close(1000);
    await waitFor(() => events.includes('finally'), "the generator's finally");
    expect(events).toEqual(['aborted', 'finally']);
    expect(stream.getStats().sessions).toEqual({ active: 0, queued: 0, spectators: 0 });
    await sleep(50);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before);
  });

  it('lets an allowed spectator watch a session read-only through the same fan-out', async () => {
    const { viewer } = await setup({ session: echo, authorizeSpectator: (req) => (req.url ?? '').includes('friend=1') });
    const owner = await viewer();
    await active(owner);
    const { id } = sessionState(owner) as { id: string };
    const stranger = await viewer(`?watch=${id}`);
    await waitFor(() => stranger.closeCode !== undefined, 'the stranger to be turned away');
    const friend = await viewer(`?watch=${id}&friend=1`);
    await waitFor(() => sessionState(friend)?.state === 'active', 'the friend to watch');
    expect(sessionState(friend)).toMatchObject({ spectator: true, token: '' });
    sendInput(owner, jpegs[3]!);
    await waitFor(() => friend.frames().length === 1 && owner.frames().length === 1, 'the frame for both');
    expect(friend.binary[0]!.equals(owner.binary[0]!)).toBe(true);
    sendInput(friend, jpegs[0]!);
    await waitFor(() => friend.ofType('error').length === 1, "the spectator's refusal");
    expect(friend.ofType('error')[0]!.code).toBe('ERR_NOT_IN_SESSION');
  });

  it('takes session.push() from a model that returns no iterable', async () => {
    const { viewer } = await setup({
      session: (session) => {
        void (async () => {
          for await (const input of session.frames()) session.push(input.data, { inferenceMs: 3 });
        })();
      },
    });
    const v = await viewer();
    await active(v);
    sendInput(v, jpegs[1]!, 7);
    await waitFor(() => v.frames().length === 1, 'the pushed output');
    expect(v.frames()[0]!.meta.metrics).toMatchObject({ inputSeq: 7, inferenceMs: 3 });
  });

  it('refuses plain WebSocket clients, which cannot take part in a session', async () => {
    const { port } = await setup({ session: echo });
    const plain = new WebSocket(`ws://127.0.0.1:${port}/ws/live/`);
    cleanups.push(() => plain.terminate());
    const code = await new Promise((resolve) => plain.on('close', resolve));
    expect(code).toBe(1008);
  });
});
