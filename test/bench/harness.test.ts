import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const KINDS = ['naive', 'ceiling', 'framestream'] as const;
const DOC = join(ROOT, 'docs', 'benchmarks.md');

// The smoke test runs the real harness end to end with the smallest settings
// that still exercise every figure: real server processes, real sockets, real
// Chromium. It checks that each figure is produced with a number for every
// server, never what the number is: speed is for `npm run bench` to report.

type Json = Record<string, any>;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function bench(args: string[]) {
  return run(process.execPath, [join(ROOT, 'bench', 'run.mjs'), ...args], {
    cwd: ROOT,
    timeout: 280_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe('npm run bench', () => {
  let dir: string;
  let results: Json;
  let markdown: string;
  let docBefore: { mtimeMs: number; text: string } | null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'framestream-bench-'));
    docBefore = existsSync(DOC) ? { mtimeMs: statSync(DOC).mtimeMs, text: readFileSync(DOC, 'utf8') } : null;
    await bench([
      '--quick',
      '--ladder', '1,2',
      '--warmup', '0.5',
      '--window', '1',
      '--stall', '1',
      '--encode-seconds', '1',
      '--snapshot-seconds', '1',
      '--browser-frames', '45',
      '--loadgen-procs', '1',
      '--hub-viewers', '2',
      '--hub-seconds', '1',
      '--hub-ladder', '1,2',
      '--hub-nodes', '1,2',
      '--out', join(dir, 'report.md'),
      '--json', join(dir, 'results.json'),
    ]);
    results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    markdown = readFileSync(join(dir, 'report.md'), 'utf8');
  }, 300_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with a tiny ladder', () => {
    it('measures fan-out, CPU and latency at every step for all three servers', () => {
      for (const kind of KINDS) {
        expect(results.ladder[kind].error, kind).toBeNull();
        expect(results.ladder[kind].steps.map((s: Json) => s.n)).toEqual([1, 2]);
        for (const step of results.ladder[kind].steps) {
          for (const key of ['minFps', 'latencyP50', 'latencyP99', 'cpuPerFrame', 'cpuPerSecond', 'rssMB']) {
            expect(isNumber(step[key]), `${kind} ${step.n} ${key}`).toBe(true);
          }
          // Every viewer asked for framestream.v1 and every binary message carried a header.
          expect(step.bareMessages, kind).toBe(0);
        }
      }
    });

    it('measures the stalled viewer against every server', () => {
      for (const kind of KINDS) {
        const s = results.stall[kind];
        expect(s.error, kind).toBeNull();
        expect(isNumber(s.rssGrowthMB) && isNumber(s.during.minFps) && isNumber(s.p99RiseMs), kind).toBe(true);
      }
    });

    it('measures both encode paths against a bare sharp encode', () => {
      for (const source of ['noise', 'float32']) {
        const e = results.encode[source];
        expect(e.error, source).toBeNull();
        expect(isNumber(e.bareMs) && isNumber(e.framestreamMs) && isNumber(e.overhead), source).toBe(true);
      }
    });

    it('measures the snapshot route of every server', () => {
      for (const kind of KINDS) {
        const s = results.snapshot[kind];
        expect(s.error, kind).toBeNull();
        expect(s.requests, kind).toBeGreaterThan(0);
        expect(isNumber(s.p99), kind).toBe(true);
      }
    });

    it('measures the plain page and StreamCanvas in Chromium', () => {
      for (const variant of ['plain', 'framestream']) {
        const b = results.browser[variant];
        expect(b.error, variant).toBeNull();
        expect(b.frames, variant).toBeGreaterThanOrEqual(45);
        for (const key of ['displayedFps', 'mainThreadP50', 'ageP50', 'ageP99']) {
          expect(isNumber(b[key]), `${variant} ${key}`).toBe(true);
        }
        expect(isNumber(b.liveBitmaps.max), variant).toBe(true);
      }
    });

    it('measures the Redis hop, a relay node’s CPU and a capacity ladder per node count', () => {
      const hub = results.hub;
      expect(hub.error).toBeNull();
      for (const side of ['single', 'direct', 'relay']) {
        expect(isNumber(hub.hop[side].latencyP50) && isNumber(hub.hop[side].latencyP99), side).toBe(true);
      }
      expect(isNumber(hub.hop.added.p50) && isNumber(hub.hop.added.p99)).toBe(true);
      expect(isNumber(hub.cpu.single.cpuPerFrame) && isNumber(hub.cpu.relay.cpuPerFrame)).toBe(true);
      // Every frame the relay's viewers got came through Redis.
      expect(hub.cpu.relay.relayProduced).toBe(0);
      expect(hub.scale.map((l: Json) => [l.nodes, l.error, l.steps.map((s: Json) => s.perNode)])).toEqual([
        [1, null, [[1], [2]]],
        [2, null, [[1, 0], [1, 1]]],
      ]);
    });

    it('writes every figure section and the targets table to the report', () => {
      for (const heading of [
        '## Method',
        '## Targets',
        '## 1. Fan-out capacity',
        '## 2. Server CPU per delivered frame',
        '## 3. Latency, capture → viewer receive',
        '## 4. Stalled viewer',
        '## 5. Encode path',
        '## 6. Browser canvas',
        '## 7. Snapshot route',
        '## 10. Redis hub',
        '## Reproduce',
      ]) {
        expect(markdown).toContain(heading);
      }
      expect(markdown).toContain(`${results.meta.machine.cores} × `);
      expect(markdown).not.toContain('could not be measured');
    });

    it('leaves docs/benchmarks.md alone when given --out', () => {
      if (docBefore === null) {
        expect(existsSync(DOC)).toBe(false);
      } else {
        expect(readFileSync(DOC, 'utf8')).toBe(docBefore.text);
        expect(statSync(DOC).mtimeMs).toBe(docBefore.mtimeMs);
      }
    });
  });

  describe('--soak', () => {
    it('reports RSS and descriptor slopes and the slowest viewer over a short soak', async () => {
      const json = join(dir, 'soak.json');
      await bench(['--soak', '--soak-seconds', '6', '--soak-viewers', '4', '--out', join(dir, 'soak.md'), '--json', json]);
      const soak = JSON.parse(readFileSync(json, 'utf8'));
      expect(soak.error).toBeNull();
      expect(soak.reconnects).toBeGreaterThan(0);
      for (const key of ['rssSlopeMBPerMin', 'fdSlopePerMin', 'minFps', 'rssStartMB', 'fdsEnd']) {
        expect(isNumber(soak[key]), key).toBe(true);
      }
      expect(readFileSync(join(dir, 'soak.md'), 'utf8')).toContain('## Soak');
    }, 120_000);
  });

  describe('options', () => {
    it('rejects a malformed ladder, naming the option', async () => {
      await expect(bench(['--ladder', '10,5', '--out', join(dir, 'x.md'), '--json', join(dir, 'x.json')])).rejects.toMatchObject({
        stderr: expect.stringContaining('`--ladder`'),
      });
      expect(existsSync(join(dir, 'x.json'))).toBe(false);
    });
  });
});

// The ingest figure's pure parts (bench/lib/ingest.mjs): the producer's
// credit gate, the frame accounting and its targets. The figure itself runs
// in the smoke test above with every other figure.
import { CreditGate, accountWindow, addedLatency, cpuPerFrame, ingestTargets } from '../../bench/lib/ingest.mjs';

describe('bench/lib/ingest.mjs', () => {
  describe('CreditGate', () => {
    it('sends while credits last, then keeps only the newest frame until a credit returns', () => {
      const gate = new CreditGate<number>(2);
      expect(gate.offer(1)).toBe(1);
      expect(gate.offer(2)).toBe(2);
      expect(gate.offer(3)).toBeUndefined();
      expect(gate.offer(4)).toBeUndefined();
      expect(gate.replaced).toBe(1);
      expect(gate.credit(1)).toBe(4);
      expect(gate.credit(1)).toBeUndefined();
      expect(gate.offer(5)).toBe(5);
    });

    it('refuses a credit count the server cannot have sent', () => {
      expect(() => new CreditGate(0)).toThrow(/`credits`/);
    });
  });

  describe('accountWindow', () => {
    it('counts the window’s frames the viewer never received, ignoring frames from outside it', () => {
      const seen = [
        { id: 9, latencyMs: 50, hopMs: 1 },
        { id: 10, latencyMs: 1, hopMs: 0.5 },
        { id: 12, latencyMs: 3, hopMs: 0.5 },
        { id: 12, latencyMs: 4, hopMs: 0.5 },
      ];
      expect(accountWindow([10, 11, 12], seen)).toEqual({ sent: 3, received: 2, lost: 1, duplicates: 1, latencies: [1, 3], hops: [0.5, 0.5] });
    });
  });

  it('reports what ingest adds as the difference of percentiles, or null when a path is missing', () => {
    expect(addedLatency({ p50: 1, p99: 4 }, { p50: 1.5, p99: 7 })).toEqual({ p50: 0.5, p99: 3 });
    expect(addedLatency(undefined, { p50: 1.5, p99: 7 })).toEqual({ p50: null, p99: null });
    expect(cpuPerFrame(10, 0)).toBeNull();
  });

  describe('ingestTargets', () => {
    const path = (p50: number, p99: number, cpu: number, lost = 0) => ({ p50, p99, cpuPerFrame: cpu, sent: 100, lost });
    const run = (ingest: object, lost = 0) => ({
      jpeg: { push: path(1, 4, 0.1), ingest: path(1.5, 8, 0.15, lost), added: { p50: 0.5, p99: 4 } },
      float32: { push: path(4, 9, 3), ingest: { ...path(6, 12, 5), ...ingest }, added: { p50: 2, p99: 3 } },
    });

    it('meets every target when ingest adds little, loses nothing and passes JPEG through cheaply', () => {
      expect(ingestTargets(run({})).map((t) => t.met)).toEqual([true, true, true, true]);
    });

    it('misses the loss target for a frame lost in either format', () => {
      const loss = ingestTargets(run({ lost: 1 })).find((t) => /lost/.test(t.target));
      expect(loss).toMatchObject({ met: false, measured: expect.stringContaining('1 of 200') });
    });

    it('says why when the figure did not run', () => {
      expect(ingestTargets(undefined)).toEqual([expect.objectContaining({ met: null, measured: 'not run' })]);
      expect(ingestTargets({ error: 'server did not start' })[0]).toMatchObject({ met: null, measured: 'server did not start' });
    });
  });
});

// The interactive figure's pure parts (bench/lib/interactive.mjs): the
// client's input window, the round-trip accounting and its targets. The
// figure itself runs in the smoke test above with every other figure.
import { InputWindow, accountSession, interactiveTargets, sessionCapacity, summarizeStep } from '../../bench/lib/interactive.mjs';

describe('bench/lib/interactive.mjs', () => {
  describe('InputWindow', () => {
    it('sends two frames unacknowledged, then keeps only the newest until an inputAck makes room', () => {
      const w = new InputWindow<{ seq: number }>(2);
      expect(w.offer({ seq: 1 })).toEqual({ seq: 1 });
      expect(w.offer({ seq: 2 })).toEqual({ seq: 2 });
      expect(w.offer({ seq: 3 })).toBeUndefined();
      expect(w.offer({ seq: 4 })).toBeUndefined();
      expect(w.replaced).toBe(1);
      expect(w.ack(1)).toEqual({ seq: 4 });
      expect(w.unacked).toEqual([2, 4]);
      expect(w.ack(1)).toBeUndefined();
    });

    it('takes an acknowledgement as covering every older frame, as the server means it', () => {
      const w = new InputWindow<{ seq: number }>(2);
      w.offer({ seq: 1 });
      w.offer({ seq: 2 });
      w.offer({ seq: 3 });
      expect(w.ack(2)).toEqual({ seq: 3 });
      expect(w.unacked).toEqual([3]);
      expect(w.offer({ seq: 4 })).toEqual({ seq: 4 });
    });

    it('refuses a window that could never send', () => {
      expect(() => new InputWindow(0)).toThrow(/`limit`/);
    });
  });

  describe('accountSession', () => {
    it('times each capture to its first answer, ignoring answers to captures outside the window', () => {
      const captured = [
        { seq: 10, capturedAt: 1000 },
        { seq: 11, capturedAt: 1033 },
        { seq: 12, capturedAt: 1067 },
      ];
      const outputs = [
        { seq: 9, receivedAt: 1005 },
        { seq: 10, receivedAt: 1012 },
        { seq: 10, receivedAt: 1020 },
        { seq: 12, receivedAt: 1090 },
      ];
      expect(accountSession(captured, outputs, 0.1)).toEqual({
        captured: 3,
        answered: 2,
        unanswered: 1,
        duplicates: 1,
        roundTrips: [12, 23],
        fps: 20,
      });
    });
  });

  describe('summarizeStep and sessionCapacity', () => {
    const session = (fps: number, roundTrips: number[]) => ({ captured: 60, answered: 60, unanswered: 0, duplicates: 0, roundTrips, fps });

    it('reports the slowest session, and a session that never connected as 0 FPS', () => {
      const s = summarizeStep(2, [session(30, [10, 12]), session(28.5, [11, 40])]);
      expect(s).toMatchObject({ n: 2, minFps: 28.5, p50: 11.5 });
      expect(summarizeStep(2, [session(30, [10])]).minFps).toBe(0);
    });

    it('counts capacity only over an unbroken run of steps holding 29 FPS from the bottom', () => {
      expect(sessionCapacity([{ n: 1, minFps: 30 }, { n: 4, minFps: 29.2 }, { n: 8, minFps: 27 }, { n: 12, minFps: 29.5 }])).toBe(4);
      expect(sessionCapacity([{ n: 1, minFps: 20 }, { n: 4, minFps: 30 }])).toBe(0);
    });
  });

  describe('interactiveTargets', () => {
    const run = (p50: number, p99: number) => ({ modelMs: 10, framestream: { steps: [{ n: 1, p50, p99 }] }, browser: { measured: false, reason: 'not measured: no camera' } });

    it('holds the one-session round trip to model time + 15 ms at p50 and + 40 ms at p99', () => {
      expect(interactiveTargets(run(24.9, 49.9)).slice(0, 2).map((t) => t.met)).toEqual([true, true]);
      expect(interactiveTargets(run(25.1, 50.1)).slice(0, 2).map((t) => t.met)).toEqual([false, false]);
    });

    it('says why the browser target was not measured, and when the figure did not run', () => {
      expect(interactiveTargets(run(20, 30))[2]).toMatchObject({ met: null, measured: 'not measured: no camera' });
      expect(interactiveTargets(undefined)[0]).toMatchObject({ met: null, measured: 'not run' });
    });
  });
});

// The hub figure's pure parts (bench/lib/hub.mjs). The figure itself runs in
// the smoke test above with every other figure.
import { hopAdds, hubCapacity, hubTargets, spread } from '../../bench/lib/hub.mjs';

describe('bench/lib/hub.mjs', () => {
  it('deals viewers over nodes as evenly as it goes, the first nodes taking one more', () => {
    expect(spread(10, 3)).toEqual([4, 3, 3]);
    expect(spread(1, 3)).toEqual([1, 0, 0]);
    expect(spread(6, 1)).toEqual([6]);
  });

  it('reports the hop as the relay’s percentile minus the producing node’s, or null when a side is missing', () => {
    expect(hopAdds({ latencyP50: 4, latencyP99: 10 }, { latencyP50: 5.5, latencyP99: 12 })).toEqual({ p50: 1.5, p99: 2 });
    expect(hopAdds(undefined, { latencyP50: 5.5, latencyP99: 12 })).toEqual({ p50: null, p99: null });
  });

  it('counts capacity only over an unbroken run of steps at ≥ 29 FPS from the bottom', () => {
    expect(hubCapacity([{ n: 1, minFps: 30 }, { n: 50, minFps: 29.1 }, { n: 100, minFps: 28 }, { n: 200, minFps: 30 }])).toBe(50);
    expect(hubCapacity([])).toBe(0);
  });

  describe('hubTargets', () => {
    const run = (added: { p50: number; p99: number }, relay: number, single: number) => ({
      hop: { added, direct: { latencyP50: 4, latencyP99: 10 }, relay: { latencyP50: 4 + added.p50, latencyP99: 10 + added.p99 } },
      cpu: { viewers: 50, single: { cpuPerFrame: single }, relay: { cpuPerFrame: relay } },
    });

    it('holds the hop to 2 ms at p50 and 5 ms at p99, and the relay’s CPU per frame to 110% of in-process', () => {
      expect(hubTargets(run({ p50: 1.9, p99: 4.9 }, 0.109, 0.1)).map((t) => t.met)).toEqual([true, true, true]);
      expect(hubTargets(run({ p50: 2.1, p99: 5.1 }, 0.111, 0.1)).map((t) => t.met)).toEqual([false, false, false]);
    });

    it('says why when the figure did not run', () => {
      expect(hubTargets(undefined)).toEqual([expect.objectContaining({ met: null, measured: 'not run' })]);
      expect(hubTargets({ error: 'cannot run redis-server' })[0]).toMatchObject({ met: null, measured: 'cannot run redis-server' });
    });
  });
});
