import { describe, expect, it } from 'vitest';
import { CreditGate } from '../../src/producer/credits.js';
import { checkFrame, checkMetrics } from '../../src/producer/frame.js';
import { FrameProducer, PRODUCER_DEFAULTS, type FrameProducerOptions } from '../../src/producer/index.js';
import { readServerMessage } from '../../src/producer/messages.js';
import { judgeEnd } from '../../src/producer/outcome.js';
import { decodeProducerFrame, encodeProducerFrame } from '../../src/protocol/index.js';

const URL = 'ws://127.0.0.1:9/ingest';
const make = (options: Partial<FrameProducerOptions>) => () => new FrameProducer({ url: URL, autoConnect: false, ...options } as FrameProducerOptions);

// The smallest JPEG readJpegSize accepts: SOI, an SOF0 for 3×2, EOI.
const TINY_JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01, 0x01, 0x11, 0x00, 0xff, 0xd9]);

describe('FrameProducer options', () => {
  it('has frozen defaults, each documented', () => {
    expect(Object.isFrozen(PRODUCER_DEFAULTS)).toBe(true);
    expect(PRODUCER_DEFAULTS).toMatchObject({ autoConnect: true, reconnect: true, busyRetryMs: 5000, initialDelayMs: 500 });
  });

  it.each([
    [{ url: undefined }, TypeError, /`url`/],
    [{ url: 'ftp://x/y' }, TypeError, /`url` to be a ws:\/\/ or wss:\/\/ URL/],
    [{ token: '' }, TypeError, /`token`/],
    [{ token: 7 }, TypeError, /`token`/],
    [{ headers: { 'x-model': 3 } }, TypeError, /`headers.x-model`/],
    [{ headers: 'x' }, TypeError, /`headers`/],
    [{ token: 't', headers: { authorization: 'Basic x' } }, TypeError, /either `token` or `headers.Authorization`/],
    [{ WebSocket: 'ws' }, TypeError, /`WebSocket`/],
    [{ autoConnect: 'yes' }, TypeError, /`autoConnect`/],
    [{ reconnect: 1 }, TypeError, /`reconnect`/],
    [{ busyRetryMs: -1 }, RangeError, /`busyRetryMs`/],
    [{ handshakeTimeoutMs: Infinity }, RangeError, /`handshakeTimeoutMs`/],
    [{ initialDelayMs: -5 }, RangeError, /`initialDelayMs`/],
    [{ jitter: 2 }, RangeError, /`jitter`/],
    [{ tokne: 'x' }, TypeError, /Unknown FrameProducer option `tokne`; did you mean `token`\?/],
  ])('refuses %o, naming the option', (options, type, message) => {
    expect(make(options as Partial<FrameProducerOptions>)).toThrow(type);
    expect(make(options as Partial<FrameProducerOptions>)).toThrow(message);
  });

  it('turns http: into ws: and accepts undefined for a default', () => {
    const producer = make({ url: 'http://127.0.0.1:9/ingest', token: undefined, reconnect: undefined })();
    expect(producer.status).toBe('idle');
  });
});

describe('FrameProducer#send', () => {
  const producer = make({})();

  it.each([
    ['bytes that are not a JPEG', new Uint8Array([1, 2, 3, 4]), TypeError, /`frame` bytes to be one complete JPEG file/],
    ['a JPEG cut short', TINY_JPEG.subarray(0, 12), TypeError, /complete JPEG/],
    ['a string', 'frame.jpg', TypeError, /JPEG bytes \(Uint8Array\) or \{ data, width, height, channels \}, got string/],
    ['an Int16Array', new Int16Array(4), TypeError, /got Int16Array/],
    ['data of the wrong type', { data: [1, 2, 3], width: 1, height: 1, channels: 3 }, TypeError, /`frame.data`/],
    ['a width of 0', { data: new Uint8Array(0), width: 0, height: 1, channels: 3 }, RangeError, /`frame.width`/],
    ['a fractional height', { data: new Uint8Array(3), width: 1, height: 1.5, channels: 3 }, RangeError, /`frame.height`/],
    ['a width over the header\'s u16', { data: new Uint8Array(3), width: 70_000, height: 1, channels: 3 }, RangeError, /`frame.width` to be an integer in \[1, 65535\]/],
    ['two channels', { data: new Uint8Array(8), width: 2, height: 2, channels: 2 }, RangeError, /`frame.channels` to be 1, 3 or 4/],
    ['data that does not multiply out', { data: new Uint8Array(11), width: 2, height: 2, channels: 3 }, RangeError, /2×2×3 = 12 values, got 11/],
    ['a NaN pixel', { data: new Float32Array([0, 0.5, NaN]), width: 1, height: 1, channels: 3 }, RangeError, /NaN at index 2/],
  ])('throws on %s, naming the field', (_, frame, type, message) => {
    expect(() => producer.send(frame as never)).toThrow(type);
    expect(() => producer.send(frame as never)).toThrow(message);
  });

  it.each([
    [[1, 2], /`metrics` to be an object of numbers, got an array/],
    [{ inferenceMs: '41' }, /`metrics.inferenceMs` to be a finite number/],
    [{ inferenceMs: Infinity }, /`metrics.inferenceMs`/],
  ])('throws on metrics %o', (metrics, message) => {
    expect(() => producer.send(TINY_JPEG, metrics as never)).toThrow(TypeError);
    expect(() => producer.send(TINY_JPEG, metrics as never)).toThrow(message);
  });

  it('holds a good frame while not connected instead of throwing', () => {
    expect(producer.send(TINY_JPEG, { inferenceMs: 3 })).toBe(false);
    expect(producer.send({ data: new Float32Array([Infinity, -Infinity, 0]), width: 1, height: 1, channels: 3 })).toBe(false);
  });
});

describe('checkFrame', () => {
  it('puts a JPEG on the wire with no size (the server reads it from the file)', () => {
    const { header, payload, size } = checkFrame(TINY_JPEG);
    expect(header).toEqual({ format: 'jpeg', width: 0, height: 0, channels: 0 });
    expect(payload).toBe(TINY_JPEG);
    expect(size).toBe(TINY_JPEG.byteLength);
  });

  it('sends float32 pixels as their little-endian bytes, even from a view at an odd offset', () => {
    const backing = new Float32Array(8);
    const data = backing.subarray(1, 7).fill(0.25);
    const checked = checkFrame({ data, width: 2, height: 1, channels: 3 });
    expect(checked.header).toEqual({ format: 'float32', width: 2, height: 1, channels: 3 });
    expect(checked.size).toBe(6); // values, as the server counts them against maxFrameBytes
    const wire = decodeProducerFrame(encodeProducerFrame({ ...checked.header, target: 0, frameId: 9 }, checked.payload));
    const copy = new Uint8Array(wire.payload); // aligned
    expect(Array.from(new Float32Array(copy.buffer))).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(wire.header.frameId).toBe(9);
  });

  it('takes Uint8ClampedArray pixels as uint8', () => {
    expect(checkFrame({ data: new Uint8ClampedArray(4), width: 1, height: 1, channels: 4 }).header.format).toBe('uint8');
  });

  it('passes metrics through and leaves undefined alone', () => {
    expect(checkMetrics({ a: 1 })).toEqual({ a: 1 });
    expect(checkMetrics(undefined)).toBeUndefined();
  });
});

describe('CreditGate', () => {
  it('holds nothing and sends nothing before it is opened', () => {
    const gate = new CreditGate<string>();
    expect(gate.offer('a')).toBeUndefined();
    expect(gate.holding).toBe(true);
    expect(gate.credit(5)).toBeUndefined(); // never granted: credits are capped at 0
    expect(gate.open(2)).toBe('a');
    expect(gate.inFlight).toBe(1);
  });

  it('spends one credit per frame and keeps only the newest frame when none is left', () => {
    const gate = new CreditGate<string>();
    gate.open(2);
    expect(gate.offer('a')).toBe('a');
    expect(gate.offer('b')).toBe('b');
    expect(gate.inFlight).toBe(2);
    expect(gate.offer('c')).toBeUndefined();
    expect(gate.offer('d')).toBeUndefined();
    expect(gate.replaced).toBe(1);
    expect(gate.credit(1)).toBe('d');
    expect(gate.inFlight).toBe(2);
    expect(gate.credit(1)).toBeUndefined();
    expect(gate.available).toBe(1);
  });

  it('never holds more credits than granted, however many come back', () => {
    const gate = new CreditGate<string>();
    gate.open(2);
    gate.offer('a');
    gate.credit(10);
    expect(gate.available).toBe(2);
    expect(gate.inFlight).toBe(0);
  });

  it('forgets frames in flight when the connection ends, but keeps the held one for the next', () => {
    const gate = new CreditGate<string>();
    gate.open(1);
    gate.offer('a');
    gate.offer('b');
    gate.shut();
    expect(gate.inFlight).toBe(0);
    expect(gate.credit(1)).toBeUndefined(); // a late credit from the old connection
    expect(gate.open(1)).toBe('b');
    gate.offer('c');
    gate.clear();
    expect(gate.holding).toBe(false);
  });
});

describe('judgeEnd', () => {
  const judge = (end: Parameters<typeof judgeEnd>[0], reported = false) => judgeEnd(end, { busyRetryMs: 5000, url: URL, reported });

  it('stops on refusals that retrying cannot fix', () => {
    for (const end of [
      { code: 1006, reason: '', httpStatus: 401 },
      { code: 1006, reason: '', httpStatus: 403 },
      { code: 1006, reason: '', httpStatus: 400 },
      { code: 1006, reason: '', httpStatus: 404 },
      { code: 1006, reason: '', httpStatus: 200 },
      { code: 4401, reason: '' },
      { code: 4410, reason: 'Replaced by a newer producer' },
    ]) {
      const verdict = judge(end);
      expect(verdict.stop, JSON.stringify(end)).toBe(true);
      expect(verdict.error?.code).toBe('ERR_PRODUCER_REFUSED');
    }
  });

  it('retries a busy stream no sooner than busyRetryMs, and a 429 no sooner than Retry-After', () => {
    expect(judge({ code: 4409, reason: '' })).toMatchObject({ stop: false, minDelayMs: 5000, error: { code: 'ERR_PRODUCER_BUSY' } });
    expect(judge({ code: 1006, reason: '', httpStatus: 429, retryAfterMs: 42_000 })).toEqual({ stop: false, minDelayMs: 42_000 });
    expect(judge({ code: 1006, reason: '', httpStatus: 429 })).toEqual({ stop: false, minDelayMs: 12_000 });
  });

  it('retries a restart, a drop or a server error on the backoff alone', () => {
    for (const end of [{ code: 1001, reason: 'Server closing' }, { code: 1006, reason: 'ECONNREFUSED' }, { code: 1006, reason: '', httpStatus: 503 }]) {
      expect(judge(end)).toEqual({ stop: false, minDelayMs: 0 });
    }
  });

  it('reports a protocol close or an oversized frame, unless the server already said why', () => {
    expect(judge({ code: 4400, reason: 'bad header' }).error?.message).toMatch(/protocol error: bad header/);
    expect(judge({ code: 1009, reason: '' }).error?.code).toBe('ERR_INVALID_FRAME');
    expect(judge({ code: 4400, reason: '' }, true).error).toBeUndefined();
  });
});

describe('readServerMessage', () => {
  const welcome = { type: 'welcome', version: 1, credits: 2, maxFrameBytes: 1000, stream: { path: '/ws/m', width: 8, height: 8, fps: 30 }, watching: true };

  it('reads a welcome, a credit, a demand and an error', () => {
    expect(readServerMessage(JSON.stringify(welcome))).toEqual({
      type: 'welcome',
      welcome: { credits: 2, maxFrameBytes: 1000, stream: welcome.stream, watching: true, sessions: false },
    });
    expect(readServerMessage('{"type":"credit","n":1,"frameId":4}')).toEqual({ type: 'credit', n: 1, target: 0 });
    expect(readServerMessage('{"type":"demand","watching":false}')).toEqual({ type: 'demand', watching: false });
    const error = readServerMessage('{"type":"error","code":"ERR_INVALID_FRAME","message":"too big"}');
    expect(error).toMatchObject({ type: 'error', error: { code: 'ERR_INVALID_FRAME', message: 'The server says: too big' } });
  });

  it("reads the session messages a producer serving sessions gets, and a credit's target", () => {
    expect(readServerMessage(JSON.stringify({ ...welcome, sessions: true }))).toMatchObject({ welcome: { sessions: true } });
    expect(readServerMessage('{"type":"credit","n":1,"frameId":4,"target":7}')).toEqual({ type: 'credit', n: 1, target: 7 });
    const start = { type: 'sessionStart', target: 7, id: 'abc', params: { p: 1 }, viewer: { name: 'ada' }, expiresAt: null };
    expect(readServerMessage(JSON.stringify(start))).toEqual(start);
    expect(readServerMessage('{"type":"sessionParams","target":7,"params":{"p":2}}')).toEqual({ type: 'sessionParams', target: 7, params: { p: 2 } });
    expect(readServerMessage('{"type":"sessionEnd","target":7,"reason":"gone"}')).toEqual({ type: 'sessionEnd', target: 7, reason: 'gone' });
  });

  it.each([
    ['not JSON', 'nope'],
    ['a session start without a target', '{"type":"sessionStart","id":"abc","params":{}}'],
    ['a credit for target -1', '{"type":"credit","n":1,"frameId":1,"target":-1}'],
    ['an unknown type', '{"type":"session"}'],
    ['a welcome without credits', JSON.stringify({ ...welcome, credits: 0 })],
    ['a credit of no frames', '{"type":"credit","n":0,"frameId":1}'],
    ['a fractional credit', '{"type":"credit","n":1.5,"frameId":1}'],
  ])('refuses %s with ERR_PRODUCER_PROTOCOL', (_, text) => {
    expect(() => readServerMessage(text)).toThrow(expect.objectContaining({ code: 'ERR_PRODUCER_PROTOCOL' }));
  });
});
