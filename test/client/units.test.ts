import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClockOffsetEstimator } from '../../src/client/clock-offset.js';
import { FrameStreamClient, readJpegSize } from '../../src/client/index.js';
import { FpsMeter, RollingWindow } from '../../src/client/meters.js';

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

  it('ignores a round trip that ran backwards', () => {
    const c = new ClockOffsetEstimator();
    c.addRoundTrip(100, 5, 50);
    expect(c.offsetMs).toBeNull();
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
        bytesReceived: 0,
        fps: 0,
        latency: null,
        clockOffsetMs: null,
        reconnectAttempt: 0,
        stream: null,
        framed: null,
      });
    });
  });
});
