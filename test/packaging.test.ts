import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Checks the package as a consumer's tools see it: the packed tarball's
// exports map, types and module formats. Runs against dist/, which `npm test`
// builds first.
const run = promisify(execFile);
const root = resolve(__dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

let packDir: string;
let tarball: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] };

beforeAll(async () => {
  packDir = mkdtempSync(join(tmpdir(), 'framestream-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root });
  [packed] = JSON.parse(stdout) as [typeof packed];
  tarball = join(packDir, packed.filename);
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log(`framestream tarball: ${kb(packed.size)} packed, ${kb(packed.unpackedSize)} unpacked, ${packed.files.length} files`);
}, 120_000);

afterAll(() => rmSync(packDir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('passes publint --strict', async () => {
    const { stdout } = await run(bin('publint'), ['run', '--strict', tarball], { cwd: packDir });
    expect(stdout).toMatch(/All good/i);
  });

  it('resolves types for every entry under node16 (ESM and CJS) and bundler resolution', async () => {
    // node10 cannot see subpath exports at all; every supported toolchain can.
    // The stylesheet is an export with no types by nature.
    const args = [tarball, '--profile', 'node16', '--format', 'json', '--exclude-entrypoints', './react/styles.css'];
    const result = await run(bin('attw'), args, {
      cwd: packDir,
    }).catch((err: { stdout: string }) => err);
    const report = JSON.parse(result.stdout) as {
      analysis: { problems: { kind: string; entrypoint: string; resolutionKind: string }[] };
    };
    const problems = report.analysis.problems.filter((p) => p.resolutionKind !== 'node10');
    expect(problems).toEqual([]);
    // Guard against a vacuous pass: the analysis did look at every entry.
    expect(Object.keys((report.analysis as unknown as { entrypoints: object }).entrypoints)).toEqual(
      expect.arrayContaining(['.', './server', './client', './react', './vite', './producer', './redis']),
    );
  });
});

describe('the tarball', () => {
  it('stays small: the built entries and the docs, no screenshots', () => {
    // 3.0 MB packed before screenshots were left out (1.84 MB of it one
    // PNG). Unpacked it is mostly ESM + CJS builds of seven entries and their
    // source maps (1.19 MB packed with framestream/redis; the server is in
    // both the server and the Vite entry), which grow with the package; the
    // images must not come back.
    expect(packed.size).toBeLessThan(1.5 * 1024 * 1024);
    expect(packed.unpackedSize).toBeLessThan(6 * 1024 * 1024);
    const paths = packed.files.map((f) => f.path);
    expect(paths.filter((p) => /\.(png|jpe?g|gif|webp)$/i.test(p))).toEqual([]);
    expect(paths.filter((p) => !/^(dist\/|docs\/[^/]+\.md$|README\.md$|LICENSE$|package\.json$)/.test(p))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['dist/react/styles.css', 'dist/react/index.d.ts', 'docs/react.md']));
  });
});

describe('a consumer app type-checked against the tarball (skipLibCheck off)', () => {
  // Every entry imported and used the way the docs show; `@ts-expect-error`
  // lines prove the types are real rather than `any` from a failed lookup.
  const USE_ENTRIES = `
import { FrameStreamError, decodeFrameMessage } from 'framestream';
import { createFrameStreamServer } from 'framestream/server';
import { FrameStreamClient, type ClientSnapshot } from 'framestream/client';
import { Controls, StreamCanvas, WorkerFrameStreamClient, type StreamClient } from 'framestream/react';
import { framestream } from 'framestream/vite';
import { FrameProducer } from 'framestream/producer';
import { createServer } from 'node:http';

export const server = createFrameStreamServer({ server: createServer() });
const client: StreamClient = new FrameStreamClient({ url: 'ws://localhost:8080/ws/test/' });
const worker: StreamClient | null = WorkerFrameStreamClient.start({ url: 'ws://localhost:8080/ws/test/' });
worker?.on('error', (error: FrameStreamError) => console.warn(error.code));
export const snapshot: ClientSnapshot = client.getSnapshot();
export const plugin = framestream();
export const producer = new FrameProducer({ url: 'ws://localhost:8080/ws/test/producer', token: 't', autoConnect: false });
producer.on('demand', (watching: boolean) => console.log(watching));
export const decode = decodeFrameMessage;
export const components = [Controls, StreamCanvas];
// @ts-expect-error: not a status
export const wrong: Parameters<typeof Controls>[0] = { status: 'nope' };
`;
  const USE_HOOK = `
import { Controls, StreamCanvas, useFrameStream } from 'framestream/react';

export function Viewer() {
  const stream = useFrameStream({ url: 'ws://localhost:8080/ws/test/', autoConnect: true });
  return (
    <main style={{ height: '100vh' }}>
      <StreamCanvas client={stream.client} />
      <Controls stream={stream} />
      {/* @ts-expect-error: not a fit mode */}
      <StreamCanvas fit="stretch" />
    </main>
  );
}
`;
  const COMPILER = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'es2022',
    lib: ['es2022', 'dom', 'dom.iterable'],
    jsx: 'react-jsx',
    types: ['node'],
  };
  // What the consumer's node_modules needs beside framestream: its peers and
  // the type packages a TypeScript app installs.
  const DEPS = ['react', 'react-dom', '@headlessui/react', 'eventemitter3', 'ws', 'sharp', 'vite', '@types/react', '@types/react-dom', '@types/node', '@types/ws'];

  let app: string;
  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'framestream-consumer-'));
    const pkgDir = join(app, 'node_modules', 'framestream');
    mkdirSync(pkgDir, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
    for (const dep of DEPS) {
      mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
  }, 60_000);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const typecheck = async (name: string, type: 'module' | 'commonjs', options: object, files: Record<string, string>) => {
    const dir = join(app, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...COMPILER, ...options }, files: Object.keys(files) }),
    );
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const result = await run(bin('tsc'), ['-p', dir]).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    return result;
  };

  it('resolves the stylesheet through the exports map', () => {
    const resolved = createRequire(join(app, 'index.js')).resolve('framestream/react/styles.css');
    expect(readFileSync(resolved, 'utf8')).toMatch(/\.fs-controls\s*\{/);
  });

  it('passes under nodenext as an ES module', async () => {
    const out = await typecheck('esm-nodenext', 'module', { module: 'nodenext', moduleResolution: 'nodenext' }, {
      'entries.ts': USE_ENTRIES,
      'viewer.tsx': USE_HOOK,
    });
    expect(out).toBe('');
  }, 120_000);

  it('passes under bundler resolution', async () => {
    const out = await typecheck('esm-bundler', 'module', { module: 'esnext', moduleResolution: 'bundler' }, {
      'entries.ts': USE_ENTRIES,
      'viewer.tsx': USE_HOOK,
    });
    expect(out).toBe('');
  }, 120_000);

  it('passes under nodenext as CommonJS (.cts)', async () => {
    const out = await typecheck('cjs-nodenext', 'commonjs', { module: 'nodenext', moduleResolution: 'nodenext' }, {
      'entries.cts': USE_ENTRIES,
    });
    expect(out).toBe('');
  }, 120_000);
});

describe('the built entries', () => {
  const read = (file: string) => readFileSync(join(root, 'dist', file), 'utf8');

  it('keep the "use client" directive first in the React entry', () => {
    for (const file of ['react/index.js', 'react/index.cjs']) {
      expect(read(file).trimStart()).toMatch(/^['"]use client['"];/);
    }
  });

  it('keep Node built-ins and React out of the client entry', () => {
    const forbidden = /^(node:|react|react-dom|ws|sharp)(\/|$)/;
    for (const file of ['client/index.js', 'client/index.cjs']) {
      const source = read(file);
      const specifiers = [
        ...source.matchAll(/^\s*import\b[^'"]*['"]([^'"]+)['"]/gm),
        ...source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1]!);
      expect(specifiers).toContain('eventemitter3'); // the scan does see imports
      expect(specifiers.filter((s) => forbidden.test(s))).toEqual([]);
    }
  });

  it('fail loudly when the server entry is resolved for a browser', async () => {
    await expect(import(join(root, 'dist/server/browser.js'))).rejects.toThrow(
      /framestream\/server runs in Node\.js only/,
    );
  });
});

describe('FrameStreamError across entries', () => {
  it('is recognised by every entry, though each bundles its own copy', async () => {
    const root_ = await import(join(root, 'dist/index.js'));
    const client = await import(join(root, 'dist/client/index.js'));
    const server = await import(join(root, 'dist/server/index.js'));
    expect(client.FrameStreamError).not.toBe(root_.FrameStreamError); // separate copies
    const fromClient = new client.FrameStreamError('ERR_SOCKET', 'x');
    expect(fromClient).toBeInstanceOf(root_.FrameStreamError);
    expect(root_.isFrameStreamError(fromClient, 'ERR_SOCKET')).toBe(true);
    expect(server.isFrameStreamError(new root_.FrameStreamError('ERR_SOCKET', 'y'))).toBe(true);
    expect(root_.isFrameStreamError(new Error('plain'))).toBe(false);
  });
});
