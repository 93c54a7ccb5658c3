// Types for bench/lib/ingest.mjs, so the TypeScript tests can import its pure parts.

export declare const INGEST_TOKEN: string;
export declare const INGEST_PATH: string;
export declare const STREAM_PATHS: { ingest: string; push: string };

export declare function benchFrames(o: {
  format: 'jpeg' | 'float32';
  count: number;
  width: number;
  height: number;
  quality: number;
}): Promise<Uint8Array[] | Float32Array[]>;

/** The producer's credit flow control: send with a credit, otherwise keep only the newest frame. */
export declare class CreditGate<T> {
  constructor(credits: number);
  credits: number;
  kept: T | undefined;
  replaced: number;
  offer(frame: T): T | undefined;
  credit(n: number): T | undefined;
}

export interface WindowAccount {
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  latencies: number[];
  hops: number[];
}

export declare function accountWindow(sentIds: number[], received: { id: number; latencyMs: number; hopMs: number }[]): WindowAccount;

export declare function latencySummary(
  latencies: number[],
  hops?: number[],
): { frames: number; p50: number | null; p99: number | null; hopP50: number | null; hopP99: number | null };

export declare function addedLatency(
  push: { p50: number | null; p99: number | null } | undefined,
  ingest: { p50: number | null; p99: number | null } | undefined,
): { p50: number | null; p99: number | null };

export declare function cpuPerFrame(cpuMs: number | null, frames: number): number | null;

export interface Target {
  figure: number | string;
  target: string;
  measured: string;
  met: boolean | null;
}

export declare function ingestTargets(ing: unknown): Target[];
