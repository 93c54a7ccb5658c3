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
    const client = read('client/index.js');
    expect(client).not.toMatch(/from ['"](node:|react|ws['"]|sharp)/);
    expect(client).not.toMatch(/require\(['"](node:|react|ws['"]|sharp)/);
  });

  it('fail loudly when the server entry is resolved for a browser', async () => {
    await expect(import(join(root, 'dist/server/browser.js'))).rejects.toThrow(
      /framestream\/server runs in Node\.js only/,
    );
  });
});
