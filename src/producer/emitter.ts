import { EventEmitter } from 'eventemitter3';
import { FrameStreamError } from '../protocol/index.js';
import type { FrameProducerEvents } from './types.js';

/**
 * eventemitter3 typed with {@link FrameProducerEvents}, plus `emitSafe` for
 * emitting from socket callbacks and timers: a listener that throws there
 * would unwind into `ws` halfway through the producer's bookkeeping, and in
 * Node take the host process down. Its exception goes to the `error`
 * listeners instead (`ERR_HOOK_FAILED`). An `error` with no listener is
 * written to the console rather than lost: a producer refused for a wrong
 * token should not stop in silence.
 */
export class ProducerEmitter extends EventEmitter<FrameProducerEvents> {
  protected emitSafe<E extends keyof FrameProducerEvents>(event: E, ...args: EventEmitter.EventArgs<FrameProducerEvents, E>): void {
    if (event === 'error' && this.listenerCount('error') === 0) {
      console.error('framestream producer:', args[0]);
      return;
    }
    try {
      this.emit(event, ...args);
    } catch (err) {
      if (event !== 'error' && this.listenerCount('error') > 0) {
        const message = `A \`${event}\` listener threw: ${err instanceof Error ? err.message : String(err)}`;
        this.emitSafe('error', new FrameStreamError('ERR_HOOK_FAILED', message, { cause: err }));
      } else {
        console.error('framestream producer: a listener threw:', err);
      }
    }
  }
}
