import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { bundleReactPage } from '../support/bundle.js';

// A viewer in real Chromium moves to the second of two framestream nodes
// when the first one closes: with `url` as an array the socket stays in
// the painting worker; with a function it falls back to the main thread.
// The page bundles src/react as an app would (the worker inlined), so the
// sources under test need no build.
const root = resolve(__dirname, '../..');

const ENTRY = `
import { createRoot } from 'react-dom/client';
import { StreamCanvas, useFrameStream, WorkerFrameStreamClient } from ${JSON.stringify(resolve(root, 'src/react/index.ts'))};

const params = new URLSearchParams(location.search);
const [first, second] = [params.get('first'), params.get('second')];
const url = params.has('provider') ? ({ previous }) => (previous === first ? second : first) : [first, second];

function App() {
  const stream = useFrameStream({ url, autoConnect: true, initialDelayMs: 100, jitter: 0 });
  window.__stream = stream;
  window.__inWorker = stream.client instanceof WorkerFrameStreamClient;
  return <StreamCanvas client={stream.client} onStats={(s) => { window.__stats = s; }} style={{ width: 160, height: 120 }} />;
}
createRoot(document.getElementById('root')).render(<App />);
`;

// Runs before the page's scripts: counts sockets opened on the main thread.
const COUNT_MAIN_THREAD_SOCKETS = `
  window.__mainSockets = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__mainSockets++; }
  };
`;

interface Node {
  http: Server;
  stream: FrameStreamServer;
  url: string;
}

let bundle: string;
let pages: Server;
let baseUrl: string;
let chromium: LaunchedBrowser;
const nodes: Node[] = [];

beforeAll(async () => {
  bundle = await bundleReactPage(ENTRY, { worker: true });
  pages = createServer((req, res) => {
    if (req.url === '/app.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
  });
  baseUrl = `http://127.0.0.1:${await listen(pages)}`;
  chromium = await launchChromium();
}, 120_000);

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(stopNode));
});

afterAll(async () => {
  await chromium?.close();
  if (pages) await closeServer(pages);
});

/** A framestream node whose frames are `width` pixels wide, so a page can tell the nodes apart. */
async function startNode(width: number): Promise<Node> {
  const http = createHostServer();
  const stream = createFrameStreamServer({ server: http, source: 'pattern', width, height: 96, fps: 30 });
  stream.on('error', () => {});
  const node = { http, stream, url: `ws://127.0.0.1:${await listen(http)}/ws/test/` };
  nodes.push(node);
  return node;
}

async function stopNode(node: Node): Promise<void> {
  await node.stream.close();
  await closeServer(node.http);
}

const read = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;

async function watchFailover(query: string): Promise<{ page: Page; problems: string[] }> {
  const [first, second] = [await startNode(128), await startNode(64)];
  const page = await chromium.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(String(err)));
  await page.addInitScript(COUNT_MAIN_THREAD_SOCKETS);
  await page.goto(`${baseUrl}/?first=${encodeURIComponent(first.url)}&second=${encodeURIComponent(second.url)}${query}`);

  await expect.poll(() => read(page, 'window.__stats?.frameWidth'), { timeout: 20_000 }).toBe(128);
  expect(await read(page, 'window.__stream.snapshot.url')).toBe(first.url);
  expect(first.stream.clientCount).toBe(1);

  await stopNode(first);
  // Frames from the second node reach the canvas: the viewer moved.
  await expect.poll(() => read(page, 'window.__stats?.frameWidth'), { timeout: 20_000 }).toBe(64);
  const painted = await read<number>(page, 'window.__stats.painted');
  await expect.poll(() => read<number>(page, 'window.__stats.painted'), { timeout: 10_000 }).toBeGreaterThan(painted + 5);
  expect(await read(page, 'window.__stream.status')).toBe('connected');
  expect(await read(page, 'window.__stream.snapshot.url')).toBe(second.url);
  expect(await read(page, 'window.__stream.client.url')).toBe(second.url);
  expect(second.stream.clientCount).toBe(1);
  return { page, problems };
}

describe('useFrameStream with several nodes, in Chromium', () => {
  it('moves a viewer to the second URL of an array when the first node closes, the socket staying in the worker', async () => {
    const { page, problems } = await watchFailover('');
    expect(await read(page, 'window.__inWorker')).toBe(true);
    expect(await read(page, 'window.__mainSockets')).toBe(0);
    expect(await read(page, 'window.__stats.thread')).toBe('worker');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('moves a viewer where a url function says, on the main thread since a function cannot cross to the worker', async () => {
    const { page, problems } = await watchFailover('&provider');
    expect(await read(page, 'window.__inWorker')).toBe(false);
    expect(await read(page, 'window.__mainSockets')).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  });
});
