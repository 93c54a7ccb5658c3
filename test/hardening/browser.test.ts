import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrameMessage, SUBPROTOCOL, wallClockMs } from '../../src/protocol/index.js';
import { bundleClientForBrowser } from '../support/bundle.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, listen } from '../support/net.js';
import { solidJpeg, waitFor } from './support.js';

// The client as a browser app runs it: src/client bundled by Vite, in real
// Chromium with the page's own WebSocket, fed by a server that lies.

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { FrameStreamClient } from '/client.js';
  const result = { frames: 0, decoded: 0, errors: [], uncaught: [], statuses: [] };
  window.result = result;
  addEventListener('error', (e) => result.uncaught.push(String(e.message)));
  addEventListener('unhandledrejection', (e) => result.uncaught.push(String(e.reason)));
  const client = new FrameStreamClient({ url: '/ws/', autoConnect: true, helloTimeoutMs: 50 });
  client.on('status', (s) => result.statuses.push(s));
  client.on('error', (e) => result.errors.push(e.code));
  client.on('frame', (f) => {
    result.frames++;
    createImageBitmap(new Blob([f.data], { type: 'image/jpeg' })).then(
      () => result.decoded++,
      (err) => result.uncaught.push('decode: ' + err),
    );
  });
</script>`;

let bundle: string;
let chromium: LaunchedBrowser;
let http: Server;
let wss: WebSocketServer;
const peers: WebSocket[] = [];

beforeAll(async () => {
  bundle = await bundleClientForBrowser();
  http = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  wss = new WebSocketServer({ server: http, handleProtocols: (p) => (p.has(SUBPROTOCOL) ? SUBPROTOCOL : false) });
  wss.on('connection', (ws) => peers.push(ws));
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const p of peers) p.terminate();
  await new Promise((r) => wss?.close(r));
  if (http) await closeServer(http);
  await chromium?.close();
});

describe('FrameStreamClient in Chromium under hostile input', () => {
  it('turns truncated, oversized and garbage messages into error events, with no uncaught exception, and keeps painting', async () => {
    const port = await listen(http);
    const page = await chromium.browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      await waitFor(() => peers.length === 1, 'the page to connect');
      const peer = peers[0]!;
      const jpeg = await solidJpeg(16, 8);
      const frame = (seq: number) => {
        const now = wallClockMs();
        return Buffer.from(encodeFrameMessage({ seq, captureTime: now, encodedTime: now, width: 16, height: 8, codec: 'jpeg' }, jpeg));
      };
      const absurd = frame(2);
      absurd.writeUInt32LE(0xffffffff, 28);
      const shortHeader = frame(3);
      shortHeader.writeUInt16LE(4, 2);
      const hostile: (Buffer | string)[] = [
        frame(1).subarray(0, 40),
        absurd,
        shortHeader,
        Buffer.from([1]),
        '{"type":"hello"',
        '{"type":"nope"}',
        'null',
      ];
      let seq = 10;
      for (const msg of hostile) {
        peer.send(msg, { binary: typeof msg !== 'string' });
        peer.send(frame(seq++), { binary: true });
      }
      type Result = { frames: number; decoded: number; errors: string[]; uncaught: string[]; statuses: string[] };
      const read = () => page.evaluate(() => (window as unknown as { result: Result }).result);
      let result = await read();
      const deadline = Date.now() + 20_000;
      while ((result.decoded < hostile.length || result.errors.length < hostile.length) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        result = await read();
      }
      expect(result.uncaught).toEqual([]);
      expect(result.errors).toEqual([
        'ERR_FRAME_TRUNCATED',
        'ERR_FRAME_TRUNCATED',
        'ERR_FRAME_HEADER',
        'ERR_FRAME_TRUNCATED',
        'ERR_CONTROL_JSON',
        'ERR_CONTROL_UNKNOWN_TYPE',
        'ERR_CONTROL_INVALID',
      ]);
      expect(result.frames).toBe(hostile.length);
      expect(result.decoded).toBe(hostile.length);
      expect(result.statuses).toEqual(['connected']); // never dropped or reconnected
    } finally {
      await page.close();
    }
  });
});
