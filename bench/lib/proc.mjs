import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

// /proc/<pid>/stat reports CPU time in clock ticks; Linux uses 100 on every
// mainstream distribution but the authoritative value is getconf's.
let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // getconf missing: keep the kernel default.
}

/**
 * Reads a process's resource use from the OS, not from inside the process,
 * so the figures include every thread (libvips encodes on its own threads)
 * and reading them costs the measured process nothing.
 * @param {number} pid
 * @returns {{ cpuMs: number, rssBytes: number, fds: number } | null}
 */
export function sampleProcess(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it are
    // counted from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { cpuMs: ((utime + stime) * 1000) / ticksPerSecond, rssBytes: rssKb * 1024, fds };
  } catch {
    return null;
  }
}

/** The machine the numbers came from, for the report's header. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}
