import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { ClockOffsetEstimator } from '../../src/client/clock-offset.js';
import { FrameStreamClient, readJpegSize } from '../../src/client/index.js';
import { Heartbeat } from '../../src/client/heartbeat.js';
import { WireFormat } from '../../src/client/wire-format.js';
import { FpsMeter, RollingWindow } from '../../src/client/meters.js';
import { StreamStats } from '../../src/client/stats.js';

describe('RollingWindow', () => {
  it('gives nearest-rank percentiles of the last `capacity` values only', () => {
    const w = new RollingWindow(100);
    expect(w.percentiles([50])).toBeNull();
    for (let i = 1; i <= 100; i++) w.push(i);
    expect(w.percentiles([50, 95, 100])).toEqual([50, 95, 100]);
    // 100 more values push the first hundred out.
    for (let i = 1001; i <= 1100; i++) w.push(i);
    expect(w.size).toBe(100);
    expect(w.percentiles([0, 50])).toEqual([1001, 1050]);
  });

  it('sorts numerically, not as strings', () => {
    const w = new RollingWindow(3);
    for (const v of [9, 10, 100]) w.push(v);
    expect(w.percentiles([0, 100])).toEqual([9, 100]);
  });
});

describe('FpsMeter', () => {
  it('divides the frames counted by the time that really passed', () => {
    const m = new FpsMeter();
    m.reset(0);
    for (let i = 0; i < 30; i++) m.count();
    expect(m.sample(1000)).toBe(30);
    // A late timer: 45 frames over 1.5 s is still 30 fps.
    for (let i = 0; i < 45; i++) m.count();
    expect(m.sample(2500)).toBe(30);
    expect(m.sample(3500)).toBe(0);
  });
});

describe('ClockOffsetEstimator', () => {
  it('uses the sample with the shortest round trip', () => {
    const c = new ClockOffsetEstimator();
    expect(c.offsetMs).toBeNull();
    c.addRoundTrip(1000, 6050, 1100); // rtt 100: offset 5000
    c.addRoundTrip(2000, 7004, 2010); // rtt 10: offset 4999
    c.addRoundTrip(3000, 8400, 3300); // rtt 300: offset 5250
    expect(c.offsetMs).toBe(4999);
  });

  it('lets a one-way hello stand in only until the first round trip', () => {
    const c = new ClockOffsetEstimator();
    c.addOneWay(10_500, 500);
    expect(c.offsetMs).toBe(10_000);
    c.addRoundTrip(1000, 11_050, 1100);
    expect(c.offsetMs).toBe(10_000); // 11050 - (1000 + 1100) / 2
    c.addRoundTrip(2000, 12_020, 2020);
    expect(c.offsetMs).toBe(10_010);
  });

  it('forgets old samples beyond `keep`', () => {
    const c = new ClockOffsetEstimator(2);
    c.addRoundTrip(0, 100, 0); // rtt 0, offset 100
    c.addRoundTrip(0, 200, 50); // rtt 50, offset 175
    c.addRoundTrip(0, 300, 40); // rtt 40, offset 280; the rtt-0 sample is gone
    expect(c.offsetMs).toBe(280);
  });

  it('prefers a pong with nothing queued ahead of it to one that waited behind frames', () => {
    const c = new ClockOffsetEstimator();
    // The true offset is 5000. This pong waited 40 ms behind a frame in the
    // server's socket: its return leg is long, its offset 20 ms low.
    c.addRoundTrip(1000, 6001, 1042, 250_000);
    expect(c.offsetMs).toBe(4980);
    // A later pong with a longer round trip but nothing queued is the better one.
    c.addRoundTrip(2000, 7030, 2060, 0);
    expect(c.offsetMs).toBe(5000);
    expect(c.errorMs).toBe(30);
    // Among unqueued samples the shortest round trip still wins.
    c.addRoundTrip(3000, 8002, 3004, 0);
    expect(c.offsetMs).toBe(5000);
    expect(c.errorMs).toBe(2);
  });

  it('takes the shortest round trip when every pong queued, or the server does not say', () => {
    const queued = new ClockOffsetEstimator();
    queued.addRoundTrip(1000, 6050, 1100, 10);
    queued.addRoundTrip(2000, 7004, 2010, 99);
    expect(queued.offsetMs).toBe(4999);
    const older = new ClockOffsetEstimator();
    older.addRoundTrip(1000, 6050, 1100);
    older.addRoundTrip(2000, 7004, 2010);
    expect(older.offsetMs).toBe(4999);
  });

  it('never lets a one-way hello win over a round trip, queued or not', () => {
    const c = new ClockOffsetEstimator();
    c.addOneWay(10_500, 500);
    expect(c.errorMs).toBeNull();
    c.addRoundTrip(1000, 11_050, 1100, 5000);
    expect(c.offsetMs).toBe(10_000);
    expect(c.errorMs).toBe(50);
  });

  it('ignores a round trip that ran backwards', () => {
    const c = new ClockOffsetEstimator();
    c.addRoundTrip(100, 5, 50);
    expect(c.offsetMs).toBeNull();
  });
});

describe('StreamStats', () => {
  it('corrects the latencies already in the window when a better clock estimate arrives', () => {
    // Server and client clocks agree; every frame is 8 ms old on arrival.
    const stats = new StreamStats(120);
    stats.startConnection(0);
    // The first pong came back 100 ms late (it queued behind the first
    // frames, or the page was busy): the offset reads 50 ms low, and every
    // latency measured with it clamps to 0.
    stats.clock.addRoundTrip(1000, 1001, 1102);
    for (let i = 0; i < 90; i++) expect(stats.recordFrame(i + 1, 100, 2000 + i * 33, 2008 + i * 33)).toBe(0);
    expect(stats.latencyPercentiles()).toEqual({ p50: 0, p95: 0 });
    // A prompt pong: the whole window reads right at once.
    stats.clock.addRoundTrip(5000, 5001, 5002);
    expect(stats.latencyPercentiles()).toEqual({ p50: 8, p95: 8 });
  });

  it('has no latency once the connection ended, nor before a clock estimate', () => {
    const stats = new StreamStats(10);
    stats.startConnection(0);
    stats.recordFrame(1, 100, 1000, 1010);
    expect(stats.latencyPercentiles()).toBeNull();
    stats.clock.addRoundTrip(0, 0, 0);
    expect(stats.latencyPercentiles()).toEqual({ p50: 10, p95: 10 });
    stats.endConnection();
    expect(stats.latencyPercentiles()).toBeNull();
    expect(stats.fps).toBe(0);
  });

  it('does not count the gaps an FPS cap leaves as drops, and counts what the server says it capped', () => {
    const stats = new StreamStats(10);
    stats.startConnection(0, true);
    for (const seq of [1, 4, 7, 10]) stats.recordFrame(seq, 1, null, 0);
    expect(stats.framesDropped).toBe(0);
    stats.recordServerCounts(1, 5);
    expect([stats.framesDropped, stats.framesCapped]).toEqual([1, 5]);
    // The cap is lifted: gaps count again once the server has said so.
    stats.capChanged(false);
    stats.recordFrame(12, 1, null, 0);
    stats.recordFrame(14, 1, null, 0); // sent before the server saw the change
    expect(stats.framesDropped).toBe(1);
    stats.recordServerCounts(1, 7);
    stats.recordFrame(15, 1, null, 0);
    stats.recordFrame(18, 1, null, 0); // two lost, no cap any more
    expect([stats.framesDropped, stats.framesCapped]).toEqual([2, 7]);
    // A new connection keeps the totals.
    stats.startConnection(0);
    expect([stats.framesDropped, stats.framesCapped]).toEqual([2, 7]);
  });
});

describe('Heartbeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(pingInterval: number, idleTimeoutMs = 0) {
    vi.useFakeTimers();
    const sent: number[] = [];
    const dead: number[] = [];
    let roundTrips = 0;
    const heartbeat = new Heartbeat(
      { pingInterval, idleTimeoutMs },
      { send: (ping) => sent.push(ping.id), roundTrips: () => roundTrips, dead: (ms) => dead.push(ms) },
    );
    const pong = () => {
      roundTrips++;
      heartbeat.heard();
      heartbeat.ponged();
    };
    return { heartbeat, sent, dead, pong };
  }

  it('pings quickly after each of the first pongs, then at pingInterval', () => {
    const { heartbeat, sent, pong } = setup(2000);
    heartbeat.start();
    expect(sent).toEqual([1]);
    for (let i = 0; i < 3; i++) {
      pong();
      vi.advanceTimersByTime(200);
    }
    expect(sent).toEqual([1, 2, 3, 4]);
    pong(); // the fourth round trip: no more quick pings
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1, 2, 3, 4]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    heartbeat.stop();
  });

  it('adds no quick pings when pingInterval is that short already, and calls a silent peer dead', () => {
    const { heartbeat, sent, dead, pong } = setup(100, 300);
    heartbeat.start();
    pong();
    vi.advanceTimersByTime(99);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1, 2]);
    vi.advanceTimersByTime(300);
    expect(dead).toEqual([300]);
    vi.advanceTimersByTime(10_000);
    expect(sent.length).toBe(4); // stopped once dead
  });
});

describe('WireFormat', () => {
  it("tries once without the subprotocol after a silent failure in 'auto', until framestream.v1 was seen", () => {
    const wire = new WireFormat('auto');
    expect(wire.asksFramed).toBe(true);
    expect(wire.closed(false, '')).toBe(true); // a browser's silent failure: try bare once
    expect(wire.asksFramed).toBe(false);
    expect(wire.closed(false, '')).toBe(false); // the bare try failed too: no second one
    expect(wire.asksFramed).toBe(true);
    expect(wire.closed(false, 'connect ECONNREFUSED')).toBe(false); // `ws` says why, and it is not that
    wire.opened(true);
    expect(wire.closed(false, '')).toBe(false); // a framestream server refused once: no fallback
    expect(wire.asksFramed).toBe(true);
  });

  it('keeps a bare server found by the try until reset (connect())', () => {
    const wire = new WireFormat('auto');
    wire.closed(false, 'Server sent no subprotocol');
    wire.opened(false);
    expect(wire.asksFramed).toBe(false);
    wire.closed(true, null);
    expect(wire.asksFramed).toBe(false);
    wire.reset();
    expect(wire.asksFramed).toBe(true);
    expect(new WireFormat('bare').asksFramed).toBe(false);
  });
});

describe('readJpegSize', () => {
  it.each([
    ['baseline', false],
    ['progressive', true],
  ])('reads the size of a %s JPEG', async (_name, progressive) => {
    const jpeg = await sharp({ create: { width: 321, height: 123, channels: 3, background: '#123456' } })
      .withMetadata()
      .jpeg({ progressive })
      .toBuffer();
    expect(readJpegSize(new Uint8Array(jpeg))).toEqual({ width: 321, height: 123 });
  });

  it('returns null for bytes that are not a JPEG or are cut short', async () => {
    const jpeg = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg().toBuffer());
    expect(readJpegSize(Uint8Array.from([1, 2, 3, 4, 5]))).toBeNull();
    expect(readJpegSize(jpeg.subarray(0, 20))).toBeNull();
    expect(readJpegSize(new Uint8Array(0))).toBeNull();
  });
});

describe('FrameStreamClient', () => {
  describe('#constructor', () => {
    it('throws naming the option and showing what it got', () => {
      const ok = { url: 'ws://127.0.0.1:9/', WebSocket };
      expect(() => new FrameStreamClient({ ...ok, url: '' })).toThrow(new TypeError('Expected `url` to be a non-empty string, got ``'));
      expect(() => new FrameStreamClient({ ...ok, url: 'ftp://x/' })).toThrow(/`url`.*`ftp:\/\/x\/`/);
      expect(() => new FrameStreamClient({ ...ok, fpsInterval: 0 })).toThrow(new RangeError('Expected `fpsInterval` to be a finite number > 0, got `0`'));
      expect(() => new FrameStreamClient({ ...ok, pingInterval: -5 })).toThrow(/`pingInterval`.*`-5`/);
      expect(() => new FrameStreamClient({ ...ok, latencyWindow: 2.5 })).toThrow(/`latencyWindow`.*`2.5`/);
      expect(() => new FrameStreamClient({ ...ok, stableAfterMs: Number.NaN })).toThrow(TypeError);
      expect(() => new FrameStreamClient({ ...ok, maxFps: 0 })).toThrow(/`maxFps`/);
      expect(() => new FrameStreamClient({ ...ok, growthFactor: 0 })).toThrow(/`growthFactor`/);
      expect(() => new FrameStreamClient({ ...ok, mode: 'json' as never })).toThrow(/`mode`/);
      expect(() => new FrameStreamClient({ ...ok, autoConnect: 'yes' as never })).toThrow(/`autoConnect`/);
      expect(() => new FrameStreamClient({ ...ok, reconnectPolicy: 5 as never })).toThrow(/`reconnectPolicy`/);
    });

    it.skipIf(typeof globalThis.WebSocket === 'function')('asks for a WebSocket implementation where the runtime has none', () => {
      expect(() => new FrameStreamClient({ url: 'ws://127.0.0.1:9/' })).toThrow(/`WebSocket`.*'ws'/);
    });

    it('turns http(s) URLs into ws(s) URLs and starts disconnected', () => {
      const client = new FrameStreamClient({ url: 'http://127.0.0.1:9/ws/test/', WebSocket });
      expect(client.status).toBe('disconnected');
      expect(client.getStats()).toEqual({
        status: 'disconnected',
        framesReceived: 0,
        framesDropped: 0,
        framesCapped: 0,
        bytesReceived: 0,
        fps: 0,
        latency: null,
        clockOffsetMs: null,
        clockOffsetErrorMs: null,
        reconnectAttempt: 0,
        stream: null,
        framed: null,
        roundTrip: null,
        inputInFlight: 0,
      });
    });
  });
});
