// The interactive figure's server: one http.Server with three endpoints that
// run the same model (bench/lib/interactive.mjs `fixedCost`: a 10 ms sleep,
// then the input JPEG is the output) for each client:
//
// - /session is the built `framestream/server` entry with a `session`
//   function: one private session per viewer, input frames up as binary
//   messages, latest-wins input, `inputAck`, output frames naming their
//   input in `metrics.inputSeq`.
// - /session-push is the same with the model calling `session.push()` for
//   each output instead of yielding it.
// - /baseline is what a hand-written img2img demo does with `ws`: each input
//   frame arrives as JSON text `{ seq, captureTime, image: <base64 JPEG> }`,
//   is decoded and run through the model in arrival order (one model call
//   at a time per connection, as one model per session would), and the
//   output goes back as JSON text `{ seq, image: <base64 JPEG>, … }`. No
//   flow control: nothing tells the client to slow down.
//
// All three stamp the same breakdown into every output, on the machine's wall
// clock (performance.timeOrigin + performance.now(), as the client reads
// it): when the server received the input (`recvAt`), when the model took it
// (`takenAt`), how long the model ran (`modelMs`) and when it finished
// (`doneAt`). The parent reads this process's CPU time through `stats`.
import { WebSocketServer } from 'ws';
import { createFrameStreamServer } from '../../dist/server/index.js';
import { INTERACTIVE_PATHS, fixedCost } from '../lib/interactive.mjs';
import { SETTINGS, runServer, wallClockMs } from './common.mjs';

let errors = 0;
let handle;
let pushed;
let wss;

function baseline(ws) {
  let chain = Promise.resolve();
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const recvAt = wallClockMs();
    chain = chain
      .then(async () => {
        const msg = JSON.parse(String(data));
        const input = Buffer.from(msg.image, 'base64');
        const takenAt = wallClockMs();
        const modelMs = await fixedCost();
        const output = input;
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify({ seq: msg.seq, image: output.toString('base64'), modelMs, recvAt, takenAt, doneAt: wallClockMs() }));
      })
      .catch(() => errors++);
  });
}

await runServer((server) => {
  handle = createFrameStreamServer({
    server,
    path: INTERACTIVE_PATHS.framestream,
    snapshotPath: false,
    width: SETTINGS.width,
    height: SETTINGS.height,
    fps: SETTINGS.fps,
    quality: SETTINGS.quality,
    // Above the ladder's top, so no client waits in the queue.
    maxSessions: 64,
    session: async function* (session) {
      for await (const input of session.frames()) {
        const takenAt = wallClockMs();
        const modelMs = await fixedCost();
        yield { frame: input.data, metrics: { inferenceMs: modelMs, recvAt: input.receivedTime, takenAt, doneAt: wallClockMs() } };
      }
    },
  });
  // The same model pushing its outputs instead of yielding them: a pushed
  // source is not pulled on the stream's schedule, so the model reads the
  // next input as soon as it is done with one.
  pushed = createFrameStreamServer({
    server,
    path: INTERACTIVE_PATHS.push,
    snapshotPath: false,
    width: SETTINGS.width,
    height: SETTINGS.height,
    fps: SETTINGS.fps,
    quality: SETTINGS.quality,
    maxSessions: 64,
    session: (session) => {
      (async () => {
        for await (const input of session.frames()) {
          const takenAt = wallClockMs();
          const modelMs = await fixedCost();
          session.push(input.data, { inferenceMs: modelMs, recvAt: input.receivedTime, takenAt, doneAt: wallClockMs() });
        }
      })().catch(() => errors++);
    },
  });
  // Runtime errors must not crash the benchmark; they are counted instead.
  handle.on('error', () => errors++);
  pushed.on('error', () => errors++);
  // Routed by path beside framestream's own upgrade handler, which leaves
  // every other path alone (ws's own `path` option would answer them 400).
  wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  wss.on('connection', baseline);
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== INTERACTIVE_PATHS.baseline) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return {
    async stop() {
      for (const ws of wss.clients) ws.terminate();
      await Promise.all([handle.close(), pushed.close(), new Promise((r) => wss.close(() => r()))]);
    },
    // process.cpuUsage covers every thread of the process.
    stats() {
      const u = process.cpuUsage();
      return { cpuMs: (u.user + u.system) / 1000, errors, sessions: handle.getStats().sessions ?? null };
    },
  };
});
