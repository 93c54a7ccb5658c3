import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** The three servers under test, each a script in bench/servers/. */
export const SERVER_KINDS = ['naive', 'ceiling', 'framestream'];

/**
 * Starts one server under test in its own process and resolves once it
 * listens. With `profileDir` the child runs under `node --cpu-prof`, which
 * writes a .cpuprofile there when it exits (open it in Chrome DevTools).
 * @param {string} kind
 * @param {{ env?: Record<string, string>, profileDir?: string, readyTimeoutMs?: number }} [options]
 */
export function startServer(kind, options = {}) {
  const execArgv = [];
  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${kind}-${Date.now()}.cpuprofile`);
  }
  const child = fork(join(BENCH_DIR, 'servers', `${kind}.mjs`), [], {
    env: { ...process.env, ...options.env },
    execArgv,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} server did not start within ${options.readyTimeoutMs ?? 30000} ms\n${stderr}`));
    }, options.readyTimeoutMs ?? 30000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // The first line naming an error is the useful one for the report;
      // the whole stderr goes to the console.
      const reason = stderr.split('\n').find((l) => /Error/.test(l)) ?? stderr.trim().split('\n').pop() ?? '';
      process.stderr.write(stderr);
      reject(new Error(`${kind} server exited with code ${code} before listening: ${reason.trim()}`));
    });
    child.on('message', (msg) => {
      if (msg?.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        kind,
        pid: child.pid,
        port: msg.port,
        /** The server's own frame counters (framesProduced, and framestream's getStats()). */
        stats() {
          const id = Math.random();
          return new Promise((done) => {
            const onMessage = (m) => {
              if (m?.type !== 'stats' || m.id !== id) return;
              child.off('message', onMessage);
              done(m.stats);
            };
            child.on('message', onMessage);
            child.send({ type: 'stats', id });
          });
        },
        /** Asks the server to close and waits for the process to exit. */
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

/**
 * One or more load generator processes (bench/loadgen.mjs) behind one
 * interface. Viewers are dealt round-robin so each process carries an equal
 * share; results are concatenated.
 */
export class LoadGen {
  /** @param {number} processes */
  static async start(processes) {
    const gen = new LoadGen();
    await Promise.all(
      Array.from({ length: processes }, () => {
        const child = fork(join(BENCH_DIR, 'loadgen.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        gen.children.push(child);
        child.on('message', (msg) => {
          const pending = gen.pending.get(msg.id);
          if (!pending) return;
          gen.pending.delete(msg.id);
          if (msg.error) pending.reject(new Error(msg.error));
          else pending.resolve(msg.result);
        });
        return new Promise((resolve) => child.once('message', resolve));
      }),
    );
    return gen;
  }

  constructor() {
    /** @type {import('node:child_process').ChildProcess[]} */
    this.children = [];
    this.pending = new Map();
    this.nextId = 1;
  }

  get pids() {
    return this.children.map((c) => c.pid);
  }

  /** Sends one command to one process. */
  call(child, cmd, args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, cmd, args });
    });
  }

  /** Sends a command to every process; `split` divides a `count` argument between them. */
  all(cmd, args = {}, split = false) {
    const k = this.children.length;
    return Promise.all(
      this.children.map((child, i) => {
        if (!split) return this.call(child, cmd, args);
        const count = Math.floor(args.count / k) + (i < args.count % k ? 1 : 0);
        return count > 0 ? this.call(child, cmd, { ...args, count }) : Promise.resolve(null);
      }),
    );
  }

  openViewers(args) {
    return this.all('openViewers', args, true);
  }

  awaitFirstFrames(timeoutMs) {
    return this.all('awaitFirstFrames', { timeoutMs });
  }

  reset() {
    return this.all('reset');
  }

  /** Merges every process's window into one result. */
  async collect() {
    const parts = await this.all('collect');
    const merged = { seconds: 0, fps: [], latencies: [], encodeMs: [], gaps: [], bare: 0, text: 0, dropped: 0, viewers: 0 };
    for (const p of parts) {
      merged.seconds = Math.max(merged.seconds, p.seconds);
      for (const key of ['fps', 'latencies', 'encodeMs', 'gaps']) for (const x of p[key]) merged[key].push(x);
      merged.bare += p.bare;
      merged.text += p.text;
      merged.dropped += p.dropped;
      merged.viewers += p.viewers;
    }
    return merged;
  }

  /** Stalls `count` viewers on the first process. */
  stall(count) {
    return this.call(this.children[0], 'stall', { count });
  }

  churn(args) {
    return this.all('churn', args, true);
  }

  closeAll() {
    return this.all('closeAll');
  }

  snapshot(args) {
    return this.call(this.children[0], 'snapshot', args);
  }

  async stop() {
    for (const child of this.children) {
      if (child.connected) child.disconnect();
    }
    await Promise.all(
      this.children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
    );
  }
}
