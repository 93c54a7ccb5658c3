import type { FrameStreamClient, FrameStreamEvents } from '../../../src/client/index.js';

// Captured at import, before any test fakes timers, so waiting works under
// vi.useFakeTimers() too.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** Resolves once `condition()` is true, checking every 10 ms of real time. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => realSetTimeout(r, 10));
  }
}

type FirstArg<E extends keyof FrameStreamEvents> = Parameters<FrameStreamEvents[E]>[0];

/** Resolves with the next `event` from `client` whose argument passes `filter`. */
export function nextEvent<E extends keyof FrameStreamEvents>(
  client: FrameStreamClient,
  event: E,
  filter: (arg: FirstArg<E>) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<FirstArg<E>> {
  return new Promise((resolve, reject) => {
    const listener = (arg: FirstArg<E>) => {
      if (!filter(arg)) return;
      realClearTimeout(timer);
      client.off(event, listener as never);
      resolve(arg);
    };
    const timer = realSetTimeout(() => {
      client.off(event, listener as never);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for the client's \`${String(event)}\` event`));
    }, timeoutMs);
    client.on(event, listener as never);
  });
}

/** Records every emission of the given events, in order. */
export function record<E extends keyof FrameStreamEvents>(client: FrameStreamClient, events: E[]) {
  const log: { event: E; arg: FirstArg<E> }[] = [];
  for (const event of events) client.on(event, ((arg: FirstArg<E>) => log.push({ event, arg })) as never);
  return {
    log,
    of<K extends E>(event: K): FirstArg<K>[] {
      return log.filter((e) => e.event === event).map((e) => e.arg as FirstArg<K>);
    },
  };
}

/**
 * `ws`'s WebSocket, counting constructions: with fake timers, a retry timer
 * firing creates its socket synchronously, so the count shows at once
 * whether a reconnect started.
 */
export function countingWebSocket(Base: typeof import('ws').WebSocket) {
  const counter = { constructed: 0 };
  class CountingWebSocket extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      counter.constructed++;
    }
  }
  return { WebSocket: CountingWebSocket, counter };
}

/**
 * `ws`'s WebSocket reporting errors the way a browser does: an `error` event
 * with no message, whatever went wrong (refused handshake, 401, 503, nothing
 * listening). The socket itself is real.
 */
export function browserLikeWebSocket(Base: typeof import('ws').WebSocket) {
  class BrowserLikeWebSocket extends Base {}
  const inherited = Object.getOwnPropertyDescriptor(Base.prototype, 'onerror')!;
  Object.defineProperty(BrowserLikeWebSocket.prototype, 'onerror', {
    configurable: true,
    get() {
      return inherited.get!.call(this);
    },
    set(fn: ((ev: unknown) => void) | null) {
      inherited.set!.call(this, fn ? () => fn({ type: 'error' }) : null);
    },
  });
  return BrowserLikeWebSocket;
}
