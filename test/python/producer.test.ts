import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the Python producer's pytest suite (python/tests) so `npm test` covers
// it. The suite starts framestream's real server from dist/, which `npm test`
// builds first, and talks to it over loopback.
const root = resolve(__dirname, '../..');

// `python3` on PATH may be a pyenv or venv interpreter without the Debian
// packages CI installs (python3-websockets, python3-numpy, python3-pytest),
// so take the first candidate that has pytest and websockets. $PYTHON wins.
const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
const has = (python: string, code: string) => spawnSync(python, ['-c', code], { stdio: 'ignore' }).status === 0;

function choosePython(): { python?: string; problem?: string } {
  const runnable = candidates.filter((p) => has(p, 'import sys'));
  if (runnable.length === 0) return { problem: 'no python3 found: install python3 (Debian: apt-get install python3)' };
  const withPytest = runnable.filter((p) => has(p, 'import pytest'));
  if (withPytest.length === 0) {
    return { problem: `python3 -m pytest is missing (tried ${runnable.join(', ')}): install python3-pytest (apt-get install python3-pytest)` };
  }
  const ready = withPytest.find((p) => has(p, 'import websockets'));
  if (!ready) {
    return { problem: `websockets is missing for ${withPytest.join(', ')}: install python3-websockets (apt-get install python3-websockets)` };
  }
  return { python: ready };
}

function runPytest(python: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(python, ['-m', 'pytest', 'python/tests', '-q', '-p', 'no:cacheprovider'], {
      cwd: root,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => done({ code, output }));
  });
}

describe('the Python producer (python/)', () => {
  it('passes its pytest suite against the real server', async () => {
    expect(existsSync(resolve(root, 'dist/server/index.js')), 'dist/ is missing: run `npm run build`').toBe(true);
    const { python, problem } = choosePython();
    if (!python) expect.fail(problem);
    const { code, output } = await runPytest(python);
    if (code !== 0) console.log(`${python} -m pytest python/tests -q\n${output}`);
    // 5 is pytest's "no tests collected": a suite that ran nothing has not passed.
    expect(code, `pytest exited ${code}; its output is printed above`).toBe(0);
    expect(output).toMatch(/\d+ passed/);
    expect(output).not.toMatch(/\d+ (failed|error)/);
  }, 300_000);
});
