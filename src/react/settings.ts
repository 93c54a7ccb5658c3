import { useCallback, useSyncExternalStore } from 'react';
import type { FitMode } from './painter.js';

/**
 * The view settings one client's components share: what {@link Controls}
 * shows in its settings menu and {@link StreamCanvas} applies, without the
 * app threading a prop from one to the other.
 *
 * One small store per client, in a WeakMap so it goes when the client does.
 * A new client (a new `url`) starts from the defaults again.
 */
interface FitStore {
  fit: FitMode | undefined;
  readonly listeners: Set<() => void>;
}

const stores = new WeakMap<object, FitStore>();

function storeFor(key: object): FitStore {
  let store = stores.get(key);
  if (!store) {
    store = { fit: undefined, listeners: new Set() };
    stores.set(key, store);
  }
  return store;
}

/** Sets the fit shared by the components of `key`'s stream, and tells them. */
export function setSharedFit(key: object, fit: FitMode): void {
  const store = storeFor(key);
  if (store.fit === fit) return;
  store.fit = fit;
  for (const listener of [...store.listeners]) listener();
}

const noSubscribe = () => () => {};
const noValue = () => undefined;

/**
 * The fit shared by the components of `key`'s stream (`undefined` until one
 * of them chooses one, and always without a key), and a setter for it.
 */
export function useSharedFit(key: object | null | undefined): [FitMode | undefined, (fit: FitMode) => void] {
  const subscribe = useCallback(
    (listener: () => void) => {
      if (!key) return noSubscribe();
      const { listeners } = storeFor(key);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    [key],
  );
  const getSnapshot = useCallback(() => (key ? stores.get(key)?.fit : undefined), [key]);
  const fit = useSyncExternalStore(subscribe, getSnapshot, noValue);
  const set = useCallback((next: FitMode) => {
    if (key) setSharedFit(key, next);
  }, [key]);
  return [fit, set];
}
