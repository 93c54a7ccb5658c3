/// <reference path="./worker-source.d.ts" />
import workerSource from 'virtual:framestream-worker';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/**
 * One framestream worker (stream-worker.ts), started from a Blob URL holding
 * its bundled source, so it works from node_modules under any bundler without
 * resolving a worker file.
 *
 * A worker can fail after it was constructed: a Content-Security-Policy
 * without `worker-src blob:` makes Chromium report an `error` event instead
 * of throwing. So a host starts as `starting` and settles once, as `ready`
 * (the worker ran and said so) or `failed`; users of a canvas transfer it
 * only once the host is ready, because a transferred canvas can never again
 * give a 2D context to the main thread. Once ready, it stays ready.
 */
export class WorkerHost {
  private worker: Worker | null;
  private url: string | null;
  private state: 'starting' | 'ready' | 'failed' = 'starting';
  private readonly settleWaiters: { ready: () => void; failed: () => void }[] = [];
  private readonly listeners = new Set<(msg: FromWorker) => void>();
  private lastPainterId = 0;

  /** A started host, or `null` where workers with OffscreenCanvas are unavailable or refused at once. */
  static start(): WorkerHost | null {
    if (!workersSupported()) return null;
    let url: string | null = null;
    try {
      url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      return new WorkerHost(new Worker(url), url);
    } catch {
      // Some browsers throw here for a CSP without `worker-src blob:`.
      if (url) URL.revokeObjectURL(url);
      return null;
    }
  }

  private constructor(worker: Worker, url: string) {
    this.worker = worker;
    this.url = url;
    worker.onerror = (event) => {
      // Before `ready`, an error means the worker never ran (a CSP refusal,
      // a script error): fall back. After it, it is an uncaught exception in
      // a worker that keeps running its socket and canvases, so it is left
      // for the browser to report rather than ending the stream.
      if (this.state !== 'starting') return;
      event.preventDefault();
      this.fail();
    };
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const msg = event.data;
      if (msg.type === 'ready') return this.settle('ready');
      for (const listener of this.listeners) listener(msg);
    };
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** Calls `ready` or `failed` once the host settles (at once when it has). */
  whenSettled(ready: () => void, failed: () => void): void {
    if (this.state === 'ready') ready();
    else if (this.state === 'failed') failed();
    else this.settleWaiters.push({ ready, failed });
  }

  /** Messages posted before the worker runs are queued by the browser. */
  post(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker?.postMessage(msg, transfer);
  }

  onMessage(listener: (msg: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  nextPainterId(): number {
    return ++this.lastPainterId;
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.listeners.clear();
    this.revoke();
  }

  private fail(): void {
    this.worker?.terminate();
    this.worker = null;
    this.revoke();
    this.settle('failed');
  }

  private settle(state: 'ready' | 'failed'): void {
    if (this.state !== 'starting') return;
    this.state = state;
    this.revoke();
    for (const waiter of this.settleWaiters.splice(0)) waiter[state]();
  }

  private revoke(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }
}

function workersSupported(): boolean {
  return (
    typeof Worker !== 'undefined' &&
    typeof OffscreenCanvas !== 'undefined' &&
    typeof HTMLCanvasElement !== 'undefined' &&
    typeof HTMLCanvasElement.prototype.transferControlToOffscreen === 'function' &&
    typeof URL !== 'undefined' &&
    typeof URL.createObjectURL === 'function'
  );
}
