// The interactive figure's section of docs/benchmarks.md (figure 9), kept
// beside bench/lib/report.mjs so the figure's wording lives in one place.
import { MAX_UNACKED, SESSION_FPS_FLOOR } from './interactive.mjs';
import { fmt } from './stats.mjs';

const PATHS = ['framestream', 'push', 'baseline'];
const LABEL = { framestream: 'framestream (generator)', push: 'framestream (push)', baseline: 'baseline' };

/** A GitHub-flavoured Markdown table; the first `textColumns` columns are left-aligned, numbers right. */
function table(head, rows, textColumns = 1) {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < textColumns ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** @param {any} r the run's results */
export function interactive(r) {
  const it = r.interactive;
  const head = '## 9. Interactive sessions';
  if (!it) return `${head}\n\nNot run: \`npm run bench -- --only interactive\`.`;
  const c = r.meta.config;
  const ns = [...new Set(PATHS.flatMap((k) => (it[k]?.steps ?? []).map((s) => s.n)))].sort((a, b) => a - b);
  const at = (k, n) => it[k]?.steps?.find((s) => s.n === n);
  const cell = (k, n, f) => {
    const s = at(k, n);
    return s ? f(s) : 'not run';
  };
  const load = it.load ? ` The machine’s 1-minute load average was ${fmt(it.load.start, 2)} when this figure began and ${fmt(it.load.end, 2)} when it ended, on ${r.meta.machine.cores} cores.` : '';
  const main = table(
    ['sessions', ...PATHS.map((k) => `${LABEL[k]} p50 / p99 (ms)`), ...PATHS.map((k) => `${LABEL[k]} slowest / median FPS`)],
    ns.map((n) => [
      String(n),
      ...PATHS.map((k) => cell(k, n, (s) => `${fmt(s.p50)} / ${fmt(s.p99)}`)),
      ...PATHS.map((k) => cell(k, n, (s) => `${fmt(s.minFps)} / ${fmt(s.medianFps)}`)),
    ]),
  );
  const capacity = table(
    ['', ...PATHS.map((k) => LABEL[k])],
    [[`sessions holding ≥ ${SESSION_FPS_FLOOR} FPS each (ladder ${(c.sessions ?? ns).join(', ')})`, ...PATHS.map((k) => (it[k]?.steps?.length ? String(it[k].capacity) : '—'))]],
  );
  const parts = [];
  for (const k of PATHS) {
    for (const s of it[k]?.steps ?? []) {
      parts.push([
        `${LABEL[k]}, ${s.n}`,
        fmt(s.uplinkP50, 2),
        fmt(s.waitP50, 2),
        fmt(s.modelP50, 2),
        fmt(s.downlinkP50, 2),
        `${s.captured} / ${s.sent} / ${s.answered}`,
        k === 'baseline' ? '—' : String(s.replaced),
        fmt(s.serverCpuPerSecond, 0),
        fmt(s.clientCpuPerSecond, 0),
      ]);
    }
  }
  const notes = [];
  const waits = (it.framestream?.steps ?? []).filter((s) => s.waitP50 > 3);
  if (waits.length) {
    const pushWait = (it.push?.steps ?? []).map((s) => s.waitP50).filter((x) => x !== null);
    const one = at('framestream', 1);
    const each = one?.sessionWaitP50s?.length > 1 ? ` (at 1 session, each fresh session’s own median: ${one.sessionWaitP50s.map((x) => fmt(x)).join(', ')} ms)` : '';
    notes.push(
      `With the model as an async generator, framestream’s input waited ${waits.map((s) => `${fmt(s.waitP50)} ms at ${s.n} session(s)`).join(', ')} (median)${each} between arriving at the server and the model taking it${
        pushWait.length ? `; with the same model calling \`session.push()\` it waited at most ${fmt(Math.max(...pushWait), 2)} ms at any step` : ''
      }. The stream pulls a generator on its ${c.fps} FPS schedule, as it does any iterable source: after the model yields, its next \`frames()\` read starts only at the next tick, so an input that arrives after a tick waits for the following one, up to a whole interval (${fmt(1000 / c.fps)} ms). How long depends on where the session’s schedule falls against the client’s camera clock, so it differs from session to session and run to run; when the two are close, jitter lets two inputs arrive between pulls and the older is passed over (latest wins), which costs output frames as well as time.`,
    );
  }
  const base = it.baseline?.steps ?? [];
  const backlog = base.filter((s) => s.p99 !== null && s.p99 > 4 * (s.p50 ?? Infinity));
  if (backlog.length) {
    notes.push(
      `The baseline’s p99 ran to ${backlog.map((s) => `${fmt(s.p99)} ms at ${s.n} session(s)`).join(', ')}: with no flow control a frame that arrives while the model or the event loop is busy queues behind the others, and every later frame of that session waits for the queue to drain.`,
    );
  }
  if (it.serverErrors) notes.push(`The server counted ${it.serverErrors} runtime error(s) during the figure.`);
  const b = it.browser;
  const variants = [
    ['worker client (default)', b],
    ['main-thread client', it.browserMain],
  ].filter(([, x]) => x?.measured);
  const v = (f) => variants.map(([, x]) => f(x));
  const browser = [
    `**In a browser.** Headless Chromium${b?.chromium ? ` ${b.chromium}` : ''} with its fake camera (\`--use-fake-device-for-media-stream --use-fake-ui-for-media-stream\`, a generated test pattern) runs bench/browser/interactive-page.jsx: the package’s \`CameraInput\` sending through \`useFrameStream\`’s client to one framestream (generator) session, and \`StreamCanvas\` painting the answers; once with the default client (a worker: socket, encode and paint off the main thread), once with \`thread: 'main'\`. The client stamps capture when \`CameraInput\` hands a camera frame to \`sendFrame\` and reports each output answering one of its inputs with \`roundTripMs\` (capture → receipt, one clock); the page adds the time from that \`frame\` event to the canvas’s next paint report, both on the page’s clock (with the worker client both arrive by \`postMessage\`, and listening to \`frame\` makes the worker copy each frame to the page). After ${c.warmupS} s from the first painted answer, ${fmt(b?.seconds ?? 2 * c.windowS, 0)} s are measured per page, with the Node clients above closed.`,
    '',
    variants.length
      ? table(
          ['', ...variants.map(([name]) => name)],
          [
            ['answered frames painted (per second)', ...v((x) => `${x.frames} (${fmt(x.fps)})`)],
            ['capture → painted p50 / p99 (ms)', ...v((x) => `${fmt(x.p50)} / ${fmt(x.p99)}`)],
            ['capture → received p50 (ms)', ...v((x) => fmt(x.receivedP50))],
          ],
        )
      : `Not measured: ${String(b?.reason ?? 'not run').replace(/^not measured: /, '')}.`,
    ...[b, it.browserMain].filter((x) => x && !x.measured && variants.length).map((x) => `\n- The ${x.thread === 'main' ? 'main-thread' : 'worker'} client ${x.reason}.`),
  ].join('\n');
  return [
    head,
    '',
    `One server process (bench/servers/interactive.mjs) serves three endpoints that run the same model for every input frame: \`await\` a ${it.modelMs} ms ${it.model} (\`setTimeout\`, the model’s time off the event loop, as a GPU’s would be; the time it really took is measured and shown as “model”), then the input JPEG is the output. **framestream (generator)** is \`createFrameStreamServer\` from the built package with \`session: async function* (s) { for await (const input of s.frames()) { await fixedCost(); yield … } }\`, the shape docs/sessions.md shows (${c.fps} FPS stream, \`maxSessions\` above the ladder). **framestream (push)** is the same model in a loop that calls \`session.push()\` for each output instead of yielding it. **baseline** is what a hand-written img2img demo does with \`ws\`: the client sends each frame as JSON text with the JPEG in base64, the server decodes it, runs the model in arrival order (one call at a time per connection) and sends the output back as base64 JSON; nothing paces the client.`,
    '',
    `One client process (bench/lib/interactive-peer.mjs, \`ws\` only) opens the sessions, each with its own drift-free ${c.fps} FPS camera clock (phases spread over one interval). Every tick captures one of 8 camera-like 512×512 JPEGs (smooth gradients, a moving disc, mild noise; quality 80, ${it.inputBytes ? `${fmt(it.inputBytes / 1024, 0)} KB` : 'size unknown'} on average). framestream’s clients send it as an input frame (\`encodeInputFrame\` from the built package) when fewer than ${MAX_UNACKED} are unacknowledged by \`inputAck\`; otherwise it waits and the next capture replaces it, as \`FrameStreamClient\` does. The baseline’s client sends every capture at once. **Round trip** is the capture (tick) time → the client holding the output that answers it (framestream: the binary message whose \`metrics.inputSeq\` names it, header read; baseline: the JSON message parsed and its base64 decoded), on the client’s clock; a capture never answered (replaced before sending, or passed over by the server’s latest-wins input) has no round trip. After ${c.warmupS} s of warm-up the captures of a ${c.windowS} s window are counted and the answers read after a 500 ms drain. The 1-session step is ${at('framestream', 1)?.rounds ?? c.oneSessionRounds ?? 1} such window(s), each with a fresh session, pooled: where a session’s schedule falls against its client’s clock is drawn anew with every session (see below). A session’s FPS is the window’s captures it got answers for, per second; a step holds when its slowest session reaches ${SESSION_FPS_FLOOR} FPS, and the capacity is the largest step of an unbroken run of holding steps from the bottom. At each step every path runs, rotating which goes first; above 8 sessions a path that has missed two steps in a row is not climbed further.${load}`,
    '',
    main,
    '',
    capacity,
    '',
    'Where the round trip goes (medians over answered frames; every stamp on the machine’s wall clock, read in each process as `performance.timeOrigin + performance.now()`): capture → the server received the input (for framestream this includes any wait for an acknowledgement), received → the model took it, the model’s own time, and the model’s yield → the client holding the output. Frames are captures in the window / inputs sent / answered; “replaced” are captures a framestream client never sent because a newer one replaced them. CPU is ms of CPU per second of wall time, server process (`process.cpuUsage`, all threads) and client process.',
    '',
    table(
      ['path, sessions', 'capture → server (ms)', 'server → model (ms)', 'model (ms)', 'model → client (ms)', 'captured / sent / answered', 'replaced', 'server CPU ms/s', 'client CPU ms/s'],
      parts,
    ),
    '',
    browser,
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
    ...(it.error ? ['', `- Stopped early: ${it.error}`] : []),
  ].join('\n');
}
