import { EventEmitter } from 'eventemitter3';
import { FrameStreamError } from '../protocol/index.js';
import type { FrameStreamEvents } from './types.js';

/**
 * eventemitter3 with one typed event map, plus an `emitSafe` for emitting
 * from socket callbacks and timers.
 *
 * eventemitter3 lets a listener's exception unwind out of `emit()`. From a
 * socket callback that would be an exception thrown into `ws` (or the
 * browser's event loop) halfway through the client's own bookkeeping. So the
 * client updates its state first, then emits through `emitSafe`, which hands
 * a listener's exception to the `error` listeners (code `ERR_HOOK_FAILED`),
 * or, when there are none, reports it the way the platform reports an
 * exception from an event listener: the browser's `reportError` (it reaches
 * `window.onerror` and the console), else `console.error`. It is never
 * rethrown: in Node that would take the whole host process down.
 */
export class SafeEmitter extends EventEmitter<FrameStreamEvents> {
  protected emitSafe<E extends keyof FrameStreamEvents>(event: E, ...args: EventEmitter.EventArgs<FrameStreamEvents, E>): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.reportListenerError(event, err);
    }
  }

  /** Reports an exception thrown by app code the client called (a listener or subscriber). */
  protected reportListenerError(source: string, err: unknown): void {
    if (source !== 'error' && this.listenerCount('error') > 0) {
      const message = `A \`${source}\` listener threw: ${err instanceof Error ? err.message : String(err)}`;
      this.emitSafe('error', new FrameStreamError('ERR_HOOK_FAILED', message, { cause: err }));
    } else {
      reportUncaught(err);
    }
  }
}

function reportUncaught(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(err);
  else console.error('framestream: a listener threw and no `error` listener is attached:', err);
}
