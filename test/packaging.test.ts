import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

beforeAll(async () => {
  packDir = mkdtempSync(join(tmpdir(), 'framestream-pack-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: root });
  tarball = join(packDir, stdout.trim().split('\n').pop()!);
}, 120_000);

afterAll(() => rmSync(packDir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('passes publint --strict', async () => {
    const { stdout } = await run(bin('publint'), ['run', '--strict', tarball], { cwd: packDir });
    expect(stdout).toMatch(/All good/i);
  });

  it('resolves types for every entry under node16 (ESM and CJS) and bundler resolution', async () => {
    // node10 cannot see subpath exports at all; every supported toolchain can.
    const result = await run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'json'], {
      cwd: packDir,
    }).catch((err: { stdout: string }) => err);
    const report = JSON.parse(result.stdout) as {
      analysis: { problems: { kind: string; entrypoint: string; resolutionKind: string }[] };
    };
    const problems = report.analysis.problems.filter((p) => p.resolutionKind !== 'node10');
    expect(problems).toEqual([]);
    // Guard against a vacuous pass: the analysis did look at every entry.
    expect(Object.keys((report.analysis as unknown as { entrypoints: object }).entrypoints)).toEqual(
      expect.arrayContaining(['.', './server', './client', './react', './vite']),
    );
  });
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
