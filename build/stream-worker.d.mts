export declare const WORKER_MODULE_ID: 'virtual:framestream-worker';
export declare function bundleStreamWorker(): Promise<{ code: string; inputs: string[] }>;
export declare function streamWorkerEsbuildPlugin(): import('esbuild').Plugin;
export declare function streamWorkerVitePlugin(): import('vite').Plugin;
