import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * Forks a bench script and talks to it over IPC, like bench/lib/children.mjs
 * (ready message, stderr kept for the error, SIGKILL if it will not stop),
 * with request/response calls: { type: 'call', id, cmd, args } → { type: 'result', id, result | error }.
 * @param {string} script path under bench/
 * @param {{ args?: string[], env?: Record<string, string> }} [options]
 */
export function startPeer(script, options = {}) {
  const child = fork(join(BENCH_DIR, script), options.args ?? [], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-4000);
  });
  const pending = new Map();
  let nextId = 1;
  child.on('message', (m) => {
    if (m?.type !== 'result') return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(new Error(m.error));
    else p?.resolve(m.result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within 30 s\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      process.stderr.write(stderr);
      reject(new Error(`${script} exited with code ${code} before it was ready: ${stderr.split('\n').find((l) => /Error/.test(l)) ?? ''}`));
    });
    child.on('message', (m) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        pid: child.pid,
        port: m.port,
        call(cmd, callArgs = {}) {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${script} has exited`));
          const id = nextId++;
          return new Promise((res, rej) => {
            pending.set(id, { resolve: res, reject: rej });
            child.send({ type: 'call', id, cmd, args: callArgs });
          });
        },
        stop() {
          return new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.send({ type: 'stop' });
          });
        },
      });
    });
  });
}
