// The ingest figure's two peers, each forked into a process of its own by
// bench/figures/ingest.mjs (`node ingest-peer.mjs producer|viewer`) and
// driven over IPC ({ type: 'call', id, cmd, args } → { type: 'result', … }).
//
// producer: a raw framestream.producer.v1 client over `ws`, built on
//   `encodeProducerFrame` from the built package and nothing else (not the
//   framestream/producer library), honouring the server's credits: a frame
//   goes out only with a credit; without one only the newest is kept.
// viewer: one `ws` viewer per stream (framestream.v1) that reads each
//   frame's header and metrics and records, per frame id, its arrival time
//   minus the sender's `sentAt` stamp. Both clocks are
//   performance.timeOrigin + performance.now() (wallClockMs) in processes on
//   this machine: the system's wall clock, read with sub-ms resolution.
import WebSocket from 'ws';
import { PRODUCER_SUBPROTOCOL, encodeProducerFrame, wallClockMs } from '../../dist/index.js';
import { CreditGate, INGEST_PATH, INGEST_TOKEN, benchFrames } from './ingest.mjs';

const SIZE = {
  width: Number(process.env.BENCH_WIDTH ?? 512),
  height: Number(process.env.BENCH_HEIGHT ?? 512),
  fps: Number(process.env.BENCH_FPS ?? 30),
  quality: Number(process.env.BENCH_QUALITY ?? 90),
};

const opened = (ws) =>
  new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });

function producer() {
  /** @type {WebSocket | undefined} */
  let ws;
  /** @type {CreditGate<{ id: number, format: string }> | undefined} */
  let gate;
  let frames;
  let pacer;
  let sentIds = [];
  let generated = 0;
  let closeInfo = null;

  function transmit({ id, format }) {
    const list = frames[format];
    const f = list[id % list.length];
    const raw = format !== 'jpeg';
    const payload = raw ? new Uint8Array(f.buffer, f.byteOffset, f.byteLength) : f;
    const header = {
      format,
      target: 0,
      width: raw ? SIZE.width : 0,
      height: raw ? SIZE.height : 0,
      channels: raw ? 3 : 0,
      frameId: id,
      metrics: { id, sentAt: wallClockMs() },
    };
    ws.send(encodeProducerFrame(header, payload));
    sentIds.push(id);
  }

  return {
    async connect({ port }) {
      frames = {
        jpeg: await benchFrames({ format: 'jpeg', count: 8, ...SIZE }),
        float32: await benchFrames({ format: 'float32', count: 4, ...SIZE }),
      };
      ws = new WebSocket(`ws://127.0.0.1:${port}${INGEST_PATH}`, PRODUCER_SUBPROTOCOL, {
        headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
        perMessageDeflate: false,
      });
      const welcome = new Promise((resolve, reject) => {
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          const msg = JSON.parse(String(data));
          if (msg.type === 'welcome') {
            gate = new CreditGate(msg.credits);
            resolve(msg);
          } else if (msg.type === 'credit') {
            const next = gate?.credit(msg.n);
            if (next) transmit(next);
          }
        });
        ws.once('close', (code, reason) => {
          closeInfo = { code, reason: String(reason) };
          reject(new Error(`producer closed before welcome: ${code} ${reason}`));
        });
      });
      await opened(ws);
      ws.on('error', () => {}); // the close that follows is recorded
      const w = await welcome;
      return { credits: w.credits, stream: w.stream };
    },
    /** Sends at the stream's rate, deadlines t0 + n × interval, ids from `firstId`. */
    start({ format, firstId }) {
      pacer?.stop();
      sentIds = [];
      generated = 0;
      gate.replaced = 0;
      const interval = 1000 / SIZE.fps;
      let id = firstId;
      let next = performance.now();
      let timer;
      const tick = () => {
        generated++;
        const frame = gate.offer({ id: id++, format });
        if (frame) transmit(frame);
        next += interval;
        const now = performance.now();
        if (next < now - interval) next = now;
        timer = setTimeout(tick, Math.max(0, next - now));
      };
      tick();
      pacer = { stop: () => clearTimeout(timer) };
      return {};
    },
    /** How many frames were sent so far, and the ids of those from index `from` on. */
    mark({ from }) {
      return { count: sentIds.length, ids: sentIds.slice(from), generated, replaced: gate.replaced, closed: closeInfo };
    },
    stop() {
      pacer?.stop();
      pacer = undefined;
      // A frame still kept for a credit is not sent: the window is over.
      if (gate) gate.kept = undefined;
      return { sent: sentIds.length, generated, replaced: gate?.replaced ?? 0, closed: closeInfo };
    },
    close() {
      pacer?.stop();
      if (!ws || ws.readyState === WebSocket.CLOSED) return {};
      return new Promise((resolve) => {
        ws.once('close', () => resolve({}));
        ws.close(1000);
      });
    },
  };
}

function viewer() {
  /** @type {Map<string, { ws: WebSocket, records: number[][], frames: number, text: number }>} */
  const sockets = new Map();
  return {
    async open({ port, paths }) {
      for (const path of paths) {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, 'framestream.v1', { perMessageDeflate: false });
        const v = { ws, records: [], frames: 0, text: 0 };
        ws.on('message', (data, isBinary) => {
          const now = wallClockMs();
          if (!isBinary) return void v.text++;
          v.frames++;
          const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
          const headerLength = buf.readUInt16LE(2);
          if (headerLength <= 32) return;
          const metrics = JSON.parse(buf.toString('utf8', 32, headerLength));
          if (typeof metrics.id !== 'number' || typeof metrics.sentAt !== 'number') return;
          const capture = buf.readDoubleLE(8);
          // [frame id, sender → viewer ms, sender → server capture stamp ms]
          v.records.push([metrics.id, now - metrics.sentAt, capture - metrics.sentAt]);
        });
        sockets.set(path, v);
        await opened(ws);
        ws.on('error', () => {}); // collect() reports the socket closed
      }
      return { open: sockets.size };
    },
    reset() {
      for (const v of sockets.values()) {
        v.records = [];
        v.frames = 0;
      }
      return {};
    },
    collect({ path }) {
      const v = sockets.get(path);
      return { frames: v.frames, records: v.records, closed: v.ws.readyState !== WebSocket.OPEN };
    },
    close() {
      for (const v of sockets.values()) v.ws.terminate();
      return {};
    },
  };
}

const role = process.argv[2];
const calls = role === 'producer' ? producer() : role === 'viewer' ? viewer() : null;
if (!calls) throw new Error(`Expected role \`producer\` or \`viewer\`, got \`${role}\``);
process.on('message', async (msg) => {
  if (msg?.type === 'stop') {
    await calls.close();
    process.exit(0);
  }
  if (msg?.type !== 'call') return;
  try {
    process.send?.({ type: 'result', id: msg.id, result: await calls[msg.cmd](msg.args ?? {}) });
  } catch (err) {
    process.send?.({ type: 'result', id: msg.id, error: String(err?.message ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
