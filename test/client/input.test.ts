import { describe, expect, it, vi } from 'vitest';
import { JpegEncoder, toInputItem } from '../../src/client/encode.js';
import { InputFlow, InputPacer, type InputItem } from '../../src/client/input.js';
import { Interactive, type InteractiveHost } from '../../src/client/interactive.js';
import { RoundTrip } from '../../src/client/round-trip.js';
import { SessionTracker } from '../../src/client/session.js';
import { decodeInputFrame } from '../../src/protocol/index.js';

// The bookkeeping behind sendFrame, without a socket: what goes out, what
// waits, what is dropped, and what the round trip counts.

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

function harness(maxInFlight = 2) {
  const sent: { seq: number; captureTime: number }[] = [];
  const released: string[] = [];
  const failures: unknown[] = [];
  const flow = new InputFlow(maxInFlight, {
    send: (message) => {
      const { header } = decodeInputFrame(message);
      sent.push({ seq: header.seq, captureTime: header.captureTime });
      return true;
    },
    sent: () => {},
    failed: (e) => failures.push(e),
  });
  const item = (name: string, prepare: InputItem['prepare'] = () => JPEG): InputItem => ({
    captureTime: Number(name.replace(/\D/g, '')) || 0,
    prepare,
    release: () => released.push(name),
  });
  return { flow, sent, released, failures, item };
}

describe('InputFlow', () => {
  it('sends two frames, then keeps only the newest waiting until an acknowledgement', () => {
    const { flow, sent, released, item } = harness();
    expect(flow.offer(item('f1'))).toBe('sent');
    expect(flow.offer(item('f2'))).toBe('sent');
    expect(flow.unacknowledged).toBe(2);
    expect(flow.offer(item('f3'))).toBe('waiting');
    expect(flow.offer(item('f4'))).toBe('waiting');
    // f3 was replaced by f4: let go of, never sent.
    expect(released).toEqual(['f3']);
    expect(sent.map((s) => s.seq)).toEqual([1, 2]);
    flow.ack(1);
    // f4 goes at once, as seq 3: seqs rise in the order frames go out.
    expect(sent).toEqual([
      { seq: 1, captureTime: 1 },
      { seq: 2, captureTime: 2 },
      { seq: 3, captureTime: 4 },
    ]);
    expect(flow.unacknowledged).toBe(2);
  });

  it('takes an acknowledgement as covering every earlier seq', () => {
    const { flow, item } = harness();
    flow.offer(item('f1'));
    flow.offer(item('f2'));
    flow.ack(2);
    expect(flow.unacknowledged).toBe(0);
    flow.ack(1); // late and out of order: nothing changes
    expect(flow.unacknowledged).toBe(0);
  });

  it('frees a place when the server refuses an input frame, which it never acknowledges', () => {
    const { flow, sent, item } = harness();
    flow.offer(item('f1'));
    flow.offer(item('f2'));
    expect(flow.offer(item('f3'))).toBe('waiting');
    flow.refused();
    expect(sent.map((s) => s.seq)).toEqual([1, 2, 3]);
  });

  it('holds a place while a frame encodes, and sends the waiting one after it', async () => {
    const { flow, sent, item } = harness();
    let finish!: (bytes: Uint8Array) => void;
    expect(flow.offer(item('f1', () => new Promise((r) => (finish = r))))).toBe('sent');
    expect(flow.offer(item('f2'))).toBe('waiting');
    expect(sent).toEqual([]);
    finish(JPEG);
    await Promise.resolve();
    await Promise.resolve();
    expect(sent.map((s) => s.captureTime)).toEqual([1, 2]);
  });

  it('drops what is in flight, encoding or waiting when the connection ends', async () => {
    const { flow, sent, released, item } = harness(1);
    let finish!: (bytes: Uint8Array) => void;
    flow.offer(item('f1', () => new Promise((r) => (finish = r))));
    flow.offer(item('f2'));
    flow.reset();
    expect(released).toEqual(['f2']);
    finish(JPEG);
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toEqual([]);
    expect(flow.offer(item('f3'))).toBe('sent');
  });

  it('reports an encoder failure and carries on with the next frame', async () => {
    const { flow, sent, failures, item } = harness();
    flow.offer(item('f1', () => Promise.reject(new Error('no context'))));
    await Promise.resolve();
    await Promise.resolve();
    expect(failures).toHaveLength(1);
    expect(flow.offer(item('f2'))).toBe('sent');
    expect(sent.map((s) => s.captureTime)).toEqual([2]);
  });
});

describe('InputPacer', () => {
  it('lets through at most fps frames a second, with room for a camera’s jitter', () => {
    const pacer = new InputPacer(10);
    const passed = [0, 50, 97, 150, 195, 260, 300].filter((t) => pacer.due(t));
    // 97 is 3 ms early for 100 and still goes; 50 and 150 are too soon.
    expect(passed).toEqual([0, 97, 195, 300]);
  });

  it('with Infinity lets every frame through', () => {
    const pacer = new InputPacer(Infinity);
    expect([0, 0, 1, 1].every((t) => pacer.due(t))).toBe(true);
  });
});

describe('RoundTrip', () => {
  it('counts capture → first answer per input, and no repeat or unknown input', () => {
    const rt = new RoundTrip(10);
    rt.sent(1, 1000);
    rt.sent(2, 1033);
    rt.sent(3, 1066);
    expect(rt.answered(2, 1100)).toBe(67);
    // Input 1 was replaced on its way to the model; 2 is answered already.
    expect(rt.answered(1, 1110)).toBeNull();
    expect(rt.answered(2, 1120)).toBeNull();
    expect(rt.answered(99, 1130)).toBeNull();
    expect(rt.answered(undefined, 1130)).toBeNull();
    expect(rt.answered(3, 1166)).toBe(100);
    expect(rt.percentiles()).toEqual({ p50: 67, p95: 100 });
    rt.endConnection();
    expect(rt.percentiles()).toBeNull();
  });

  it('forgets the oldest capture times past its bound', () => {
    const rt = new RoundTrip(10);
    for (let seq = 1; seq <= 300; seq++) rt.sent(seq, seq);
    expect(rt.answered(1, 500)).toBeNull();
    expect(rt.answered(300, 500)).toBe(200);
  });
});

describe('SessionTracker', () => {
  it('adds the resume token to the URL, keeping its query, and forgets it once the session ended', () => {
    const t = new SessionTracker();
    expect(t.urlFor('ws://h/ws/?room=7')).toBe('ws://h/ws/?room=7');
    t.update({ type: 'session', state: 'queued', position: 2, token: 'tok' }, null);
    expect(t.current).toEqual({ state: 'queued', position: 2, id: null, expiresAt: null, spectator: false, reason: null });
    expect(t.urlFor('ws://h/ws/?room=7')).toBe('ws://h/ws/?room=7&session=tok');
    t.update({ type: 'session', state: 'active', id: 'abc', token: 'tok', expiresAt: 10_500, spectator: false }, 500);
    // expiresAt on the client's clock: server time minus the offset.
    expect(t.current).toMatchObject({ state: 'active', id: 'abc', expiresAt: 10_000 });
    t.update({ type: 'session', state: 'ended', reason: 'Time is up' }, 500);
    expect(t.current).toMatchObject({ state: 'ended', id: 'abc', reason: 'Time is up' });
    expect(t.urlFor('ws://h/ws/')).toBe('ws://h/ws/');
    expect(t.endedBy(4408, 'cut')).toMatchObject({ code: 'ERR_SESSION_TIMEOUT', message: 'Time is up' });
    expect(t.endedBy(1006, '')).toBeNull();
  });
});

describe('Interactive', () => {
  function interactive(connected = true) {
    const binary: Uint8Array[] = [];
    const texts: string[] = [];
    let now = 0;
    const host: InteractiveHost = {
      sendBinary: (m) => (binary.push(m), true),
      sendText: (t) => (texts.push(t), true),
      connected: () => connected,
      stream: () => null,
      clockOffsetMs: () => 0,
      error: () => {},
    };
    const it = new Interactive({ maxInputInFlight: 2, maxInputFps: 30, latencyWindow: 10 }, host, () => now);
    return { it, binary, texts, tick: (ms: number) => (now += ms) };
  }

  it('refuses frames outside an active session of its own, and drops frames over the FPS cap', () => {
    const { it: s, binary, tick } = interactive();
    expect(s.sendFrame(JPEG)).toBe(false);
    s.onSession({ type: 'session', state: 'active', id: 'x', token: '', expiresAt: null, spectator: true });
    expect(s.sendFrame(JPEG)).toBe(false);
    s.onSession({ type: 'session', state: 'active', id: 'y', token: 't', expiresAt: null, spectator: false });
    expect(s.sendFrame(JPEG)).toBe('sent');
    tick(10);
    expect(s.sendFrame(JPEG)).toBe('dropped');
    tick(25);
    expect(s.sendFrame(JPEG)).toBe('sent');
    tick(34);
    expect(s.sendFrame(JPEG)).toBe('waiting');
    expect(binary).toHaveLength(2);
  });

  it('keeps the params and sends them once the server placed the viewer, on every connection', () => {
    const { it: s, texts } = interactive();
    expect(s.setParams({ prompt: 'fox' })).toBe(false);
    expect(texts).toEqual([]);
    s.onSession({ type: 'session', state: 'queued', position: 1, token: 't' });
    expect(s.setParams({ prompt: 'owl' })).toBe(true);
    s.onSession({ type: 'session', state: 'active', id: 'y', token: 't', expiresAt: null, spectator: false });
    // A dropped socket: the next connection's first session message sends them again.
    s.endConnection();
    expect(s.setParams({ prompt: 'cat' })).toBe(false);
    s.onSession({ type: 'session', state: 'active', id: 'z', token: 'u', expiresAt: null, spectator: false });
    expect(texts.map((t) => JSON.parse(t).params.prompt)).toEqual(['fox', 'owl', 'cat']);
  });

  it('checks its arguments whatever the session is doing', () => {
    const { it: s } = interactive(false);
    expect(() => s.sendFrame(42 as never)).toThrow(/`frame`/);
    expect(() => s.sendFrame(JPEG, { width: 0 })).toThrow(/`width`/);
    expect(() => s.sendFrame(JPEG, { captureTime: NaN })).toThrow(/`captureTime`/);
    expect(() => s.setParams(null as never)).toThrow(/`params`/);
  });
});

describe('FPS cap with fake timers', () => {
  it('sends about maxInputFps frames a second from a faster camera', () => {
    vi.useFakeTimers();
    try {
      const pacer = new InputPacer(30);
      let passed = 0;
      // A 120 fps camera for one second.
      for (let i = 0; i < 120; i++) {
        vi.advanceTimersByTime(1000 / 120);
        if (pacer.due(performance.now())) passed++;
      }
      expect(passed).toBeGreaterThanOrEqual(29);
      expect(passed).toBeLessThanOrEqual(31);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('toInputItem', () => {
  /** Something that passes for an ImageBitmap, and an encoder that records the size it is asked for. */
  function fakes(width: number, height: number) {
    const calls: number[][] = [];
    let closed = 0;
    const bitmap = { [Symbol.toStringTag]: 'ImageBitmap', width, height, close: () => closed++ } as unknown as ImageBitmap;
    const encoder = { encode: (_f: unknown, w: number, h: number, q: number) => (calls.push([w, h, q]), Promise.resolve(JPEG)) } as unknown as JpegEncoder;
    return { bitmap, encoder, calls, closed: () => closed };
  }

  it('encodes pixels at the size asked for, the stream’s, or the source’s, keeping the aspect when one side is given', () => {
    const f = fakes(640, 480);
    void toInputItem(f.bitmap, {}, 0, f.encoder, null).prepare();
    void toInputItem(f.bitmap, {}, 0, f.encoder, { width: 512, height: 512 }).prepare();
    void toInputItem(f.bitmap, { width: 320 }, 0, f.encoder, { width: 512, height: 512 }).prepare();
    void toInputItem(f.bitmap, { height: 120, quality: 0.5 }, 0, f.encoder, null).prepare();
    expect(f.calls).toEqual([
      [640, 480, 0.8],
      [512, 512, 0.8],
      [320, 240, 0.8],
      [160, 120, 0.5],
    ]);
  });

  it('closes a bitmap it will not send', () => {
    const f = fakes(8, 8);
    toInputItem(f.bitmap, {}, 0, f.encoder, null).release();
    expect(f.closed()).toBe(1);
  });

  it('copies bytes at once, so the caller may reuse its buffer', () => {
    const bytes = JPEG.slice();
    const item = toInputItem(bytes, {}, 0, new JpegEncoder(), null);
    bytes.fill(0);
    expect(item.prepare()).toEqual(JPEG);
  });
});

