import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrameStreamServer, type FrameStreamServer } from '../../src/server/index.js';
import { launchChromium, type LaunchedBrowser } from '../support/browser.js';
import { closeServer, listen } from '../support/net.js';

// framestream/react under React 18: the built entry (dist/react) bundled into
// a Strict Mode page whose every `react`/`react-dom` import, Headless UI's
// included, resolves to React 18 from test/react18 (installed apart, since
// npm cannot hold both majors' react-dom in one tree).
const root = resolve(__dirname, '../..');
const react18 = createRequire(resolve(root, 'test/react18/package.json'));

const ENTRY = `
import { StrictMode, version } from 'react';
import { createRoot } from 'react-dom/client';
import { Controls, StreamCanvas, useFrameStream } from ${JSON.stringify(resolve(root, 'dist/react/index.js'))};

function App() {
  const stream = useFrameStream({ url: '/ws/test/', autoConnect: true });
  return (
    <div style={{ position: 'relative', width: 320, height: 240, background: 'black' }}>
      <StreamCanvas client={stream.client} style={{ position: 'absolute', inset: 0 }} />
      <Controls status={stream.status} metrics={stream.metrics} onConnect={stream.connect} onDisconnect={stream.disconnect} />
    </div>
  );
}
window.reactVersion = version;
createRoot(document.getElementById('root')).render(<StrictMode><App /></StrictMode>);
`;

let bundle: string;
let http: Server;
let stream: FrameStreamServer;
let chromium: LaunchedBrowser;
let baseUrl: string;

beforeAll(async () => {
  const result = await build({
    stdin: { contents: ENTRY, loader: 'tsx', resolveDir: root },
    bundle: true,
    write: false,
    format: 'esm',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
    plugins: [
      {
        name: 'react-18',
        setup(b) {
          b.onResolve({ filter: /^(react|react-dom)(\/.*)?$/ }, (args) => ({ path: react18.resolve(args.path) }));
          b.onResolve({ filter: /^framestream\/client$/ }, () => ({ path: resolve(root, 'dist/client/index.js') }));
        },
      },
    ],
  });
  bundle = result.outputFiles[0]!.text;
  http = createServer((req, res) => {
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>');
  });
  stream = createFrameStreamServer({ server: http, source: 'pattern', width: 160, height: 120 });
  baseUrl = `http://127.0.0.1:${await listen(http)}`;
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await stream?.close();
  if (http) await closeServer(http);
});

describe('framestream/react under React 18', () => {
  it('streams into StreamCanvas in Strict Mode with one socket, and disconnects', async () => {
    const page = await chromium.browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    await page.goto(baseUrl);
    expect(await page.evaluate(() => (window as unknown as { reactVersion: string }).reactVersion)).toMatch(/^18\./);

    const painted = () => page.locator('canvas').getAttribute('data-frames-painted').then(Number);
    await expect.poll(painted, { timeout: 30_000 }).toBeGreaterThan(5);
    await expect
      .poll(() => page.getByTestId('status-indicator').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('connected');
    expect(stream.clientCount).toBe(1); // Strict Mode's double mount left one socket

    await page.getByTestId('disconnect-button').click();
    await expect.poll(() => stream.clientCount, { timeout: 10_000 }).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
