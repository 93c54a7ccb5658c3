// Types for bench/lib/interactive.mjs, so the TypeScript tests can import its pure parts.
import type { Target } from './ingest.mjs';

export declare const INTERACTIVE_PATHS: { framestream: string; push: string; baseline: string };
export declare const INTERACTIVE_KINDS: ('framestream' | 'push' | 'baseline')[];
export declare const MODEL_MS: number;
export declare const MAX_UNACKED: number;
export declare const SESSION_FPS_FLOOR: number;

export declare function fixedCost(ms?: number): Promise<number>;
export declare function inputFrames(o: { count: number; width: number; height: number; quality: number }): Promise<Buffer[]>;

/** framestream's input flow control: at most `limit` unacknowledged, the newest replacing one still waiting. */
export declare class InputWindow<T extends { seq: number }> {
  constructor(limit?: number);
  limit: number;
  unacked: number[];
  waiting: T | undefined;
  replaced: number;
  offer(frame: T): T | undefined;
  ack(seq: number): T | undefined;
}

export interface SessionAccount {
  captured: number;
  answered: number;
  unanswered: number;
  duplicates: number;
  roundTrips: number[];
  fps: number;
}

export declare function accountSession(
  captured: { seq: number; capturedAt: number }[],
  outputs: { seq: number; receivedAt: number }[],
  seconds: number,
): SessionAccount;

export declare function summarizeStep(
  n: number,
  sessions: SessionAccount[],
  expected?: number,
): {
  n: number;
  sessions: number;
  p50: number | null;
  p99: number | null;
  minFps: number;
  medianFps: number | null;
  captured: number;
  answered: number;
  unanswered: number;
};

export declare function sessionCapacity(steps: { n: number; minFps: number }[]): number;

export declare function interactiveTargets(it: unknown): Target[];
