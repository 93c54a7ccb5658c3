// Types for bench/lib/hub.mjs, so the TypeScript tests can import its pure parts.

export declare const HOP_LIMITS: { p50: number; p99: number };
export declare const RELAY_CPU_ALLOWANCE: number;

interface Percentiles {
  latencyP50: number | null;
  latencyP99: number | null;
}

export interface HubTarget {
  figure: number;
  target: string;
  measured: string;
  met: boolean | null;
}

export declare function spread(total: number, nodes: number): number[];
export declare function hopAdds(direct: Percentiles | undefined, relayed: Percentiles | undefined): { p50: number | null; p99: number | null };
export declare function hubCapacity(steps: { n: number; minFps: number }[] | undefined): number;
export declare function hubTargets(hub: unknown): HubTarget[];
export declare function startRedis(): Promise<unknown>;
