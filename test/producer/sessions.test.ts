import WebSocket from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeInputFrame } from '../../src/protocol/index.js';
import type { ProducerSession, ProducerWebSocketConstructor, SessionInput } from '../../src/producer/index.js';
import { labelledJpeg, recordedProducer, runCleanups, solidJpeg, startHost, TOKEN, waitFor, type TestViewer } from './helpers.js';

afterEach(runCleanups);

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(16, 16, [220, 20, 20]), solidJpeg(16, 16, [20, 20, 220])]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sessionHost(credits = 2) {
  const host = await startHost({ credits }, { session: 'producer', heartbeatInterval: 0 });
  const viewer = async () => {
    const v = await host.viewer();
    await waitFor(() => v.ofType('session').at(-1)?.state === 'active', 'an active session');
    return v;
  };
  return { ...host, viewer };
}

/** A producer serving sessions that records every session event. */
function servingProducer(url: string, extra: { WebSocket?: ProducerWebSocketConstructor } = {}) {
  const recorded = recordedProducer({ url, token: TOKEN, sessions: true, ...extra });
  const events: string[] = [];
  const inputs: { session: ProducerSession; input: SessionInput; bytes: Buffer }[] = [];
  const p = recorded.producer;
  p.on('sessionStart', (s) => events.push(`start ${s.id}`));
  p.on('sessionParams', (s, params) => events.push(`params ${s.id} ${JSON.stringify(params)}`));
  p.on('sessionInput', (session, input) => inputs.push({ session, input, bytes: Buffer.from(input.data) }));
  p.on('sessionEnd', (s, reason) => events.push(`end ${s.id} ${reason}`));
  return { ...recorded, events, inputs };
}

const idOf = (v: TestViewer) => (v.ofType('session').at(-1) as { id: string }).id;

describe('FrameProducer', () => {
  describe('with `sessions: true`', () => {
    it("hears each session's start, params, input and end, and sends to one session's viewer only", async () => {
      const host = await sessionHost();
      const { producer, events, inputs, errors } = servingProducer(host.url);
      await waitFor(() => producer.status === 'open', 'admitted');
      expect(producer.welcome).toMatchObject({ sessions: true });
      const alice = await host.viewer();
      const bob = await host.viewer();
      await waitFor(() => producer.sessions.size === 2, 'two sessions');
      alice.send({ type: 'params', params: { filter: 'invert' } });
      alice.ws.send(encodeInputFrame({ seq: 9, captureTime: 1_700_000_000_000, codec: 'jpeg' }, red));
      await waitFor(() => inputs.length === 1, 'the input');
      const { session, input, bytes } = inputs[0]!;
      expect(session.id).toBe(idOf(alice));
      expect(session.params).toEqual({ filter: 'invert' });
      expect(input).toMatchObject({ seq: 9, width: 16, height: 16, captureTime: 1_700_000_000_000 });
      expect(bytes.equals(red)).toBe(true); // the viewer's JPEG as it was sent
      expect(producer.sendTo(session, blue, { inputSeq: input.seq })).toBe(true);
      await waitFor(() => alice.frames().length === 1, "alice's answer");
      expect(Buffer.from(alice.frames()[0]!.payload).equals(blue)).toBe(true);
      expect(alice.frames()[0]!.meta.metrics).toMatchObject({ inputSeq: 9 });
      await sleep(50);
      expect(bob.frames()).toEqual([]);
      alice.ws.close(1000);
      await waitFor(() => producer.sessions.size === 1, 'one session left');
      expect(events).toEqual([
        `start ${idOf(alice)}`,
        `start ${idOf(bob)}`,
        `params ${idOf(alice)} {"filter":"invert"}`,
        `end ${idOf(alice)} The viewer left`,
      ]);
      expect(producer.sendTo(session, red)).toBe(false); // ended: dropped
      expect(errors).toEqual([]);
    });

    it('ends a session with a reason its viewer is told', async () => {
      const host = await sessionHost();
      const { producer, events } = servingProducer(host.url);
      const v = await host.viewer();
      await waitFor(() => producer.sessions.size === 1, 'the session');
      const [session] = producer.sessions.values();
      expect(producer.endSession(session!, 'Out of GPU memory')).toBe(true);
      await waitFor(() => v.closeCode !== undefined, "the viewer's close");
      expect(v.closeCode).toBe(4001);
      expect(v.ofType('session').at(-1)).toMatchObject({ state: 'ended', reason: 'Out of GPU memory' });
      await waitFor(() => events.length === 2, 'sessionEnd');
      expect(events[1]).toBe(`end ${session!.id} Out of GPU memory`);
      expect(producer.endSession(session!)).toBe(false);
    });

    it("keeps to each session's credits: with none in hand only the session's newest frame waits", async () => {
      const host = await sessionHost(1);
      const { producer } = servingProducer(host.url);
      const v = await host.viewer();
      await waitFor(() => producer.sessions.size === 1, 'the session');
      const [session] = producer.sessions.values();
      const frames = [0, 1, 2, 3, 4].map((i) => labelledJpeg(red, `frame ${i}`));
      const sent = frames.map((f) => producer.sendTo(session!, f));
      expect(sent).toEqual([true, false, false, false, false]);
      await waitFor(() => v.frames().length === 2, 'the first and the newest');
      await sleep(100);
      expect(v.frames().map((f) => Buffer.from(f.payload))).toEqual([frames[0], frames[4]]);
      expect(producer.replaced).toBe(3);
    });

    it('hears of every open session again after its connection drops, with the same id and target', async () => {
      const host = await sessionHost();
      const sockets: WebSocket[] = [];
      class Tracked extends WebSocket {
        constructor(...args: ConstructorParameters<typeof WebSocket>) {
          super(...args);
          sockets.push(this);
        }
      }
      const { producer, events } = servingProducer(host.url, { WebSocket: Tracked as unknown as ProducerWebSocketConstructor });
      const v = await host.viewer();
      await waitFor(() => producer.sessions.size === 1, 'the session');
      const [before] = producer.sessions.values();
      sockets.at(-1)!.terminate();
      await waitFor(() => events.length === 3, 'end and start again');
      expect(events).toEqual([`start ${idOf(v)}`, `end ${idOf(v)} The connection to the server ended`, `start ${idOf(v)}`]);
      const [after] = producer.sessions.values();
      expect(after).toMatchObject({ id: before!.id, target: before!.target });
      producer.sendTo(after!, blue);
      await waitFor(() => v.frames().length === 1, 'a frame after the reconnect');
      expect(v.closeCode).toBeUndefined();
    });
  });

  describe('without `sessions: true`', () => {
    it('stops with ERR_PRODUCER_REFUSED on a stream whose sessions a producer serves, after one attempt', async () => {
      const host = await sessionHost();
      const { producer, errors, closes } = recordedProducer({ url: host.url, token: TOKEN, initialDelayMs: 10 });
      await waitFor(() => producer.status === 'closed', 'the producer to stop');
      expect(closes).toEqual([expect.objectContaining({ code: 4412, reconnectInMs: null })]);
      expect(errors.map((e) => e.code)).toContain('ERR_PRODUCER_REFUSED');
      expect(errors.some((e) => /sessions: true/.test(e.message))).toBe(true);
    });

    it('throws on `sendTo()`, which needs it', async () => {
      const host = await startHost();
      const { producer } = recordedProducer({ url: host.url, token: TOKEN });
      expect(() => producer.sendTo(1, red)).toThrow(/sessions: true/);
    });
  });
});
