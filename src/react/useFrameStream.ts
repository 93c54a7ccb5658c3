import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { FrameStreamClient } from 'framestream/client';
import type { ClientSnapshot, ClientStatus, Frame, FrameStreamClientOptions, FrameStreamError, UrlOption } from 'framestream/client';
import { checkMaxFps, CLIENT_OPTION_KEYS } from '../client/options.js';
import { rejectUnknownKeys } from '../protocol/suggest.js';
import { snapshotMetrics, type StreamMetrics } from './metrics.js';
import { checkHookUrl, urlForClient, urlKey } from './url.js';
import { WorkerFrameStreamClient, type StreamClient } from './worker-client.js';

/** Options of {@link useFrameStream}: the client's, plus callbacks kept in refs. */
export interface UseFrameStreamOptions extends Omit<FrameStreamClientOptions, 'url'> {
  /**
   * WebSocket URL of the stream, an array of URLs to fail over between, or
   * a function giving the URL for each attempt (see
   * `FrameStreamClientOptions.url`). While it is empty (`''`, `[]`) or
   * missing the hook holds no client and reports `disconnected`, as with
   * `enabled: false`. A different URL or list re-creates the client; an
   * array is compared by value, so one written inline does not reconnect.
   * A function is kept in a ref, like `onFrame`: a new one on each render
   * never reconnects, and the newest is asked at the next attempt. A
   * function cannot cross to a worker, so it keeps the client on the main
   * thread.
   * @default undefined
   */
  url?: UrlOption;
  /**
   * `false` holds no client (status `disconnected`, no socket): for a URL
   * that is not known yet, or a stream the page should not open now. Back
   * to `true`, a client is created and connects if `autoConnect` or
   * `connect()` asked for it.
   * @default true
   */
  enabled?: boolean;
  /**
   * Called for every frame. Kept in a ref: passing a new function on each
   * render never reconnects. `frame.data` is only valid during the call.
   * @default undefined
   */
  onFrame?: (frame: Frame) => void;
  /**
   * Called for every runtime error the client reports (also kept in a ref).
   * @default undefined
   */
  onError?: (error: FrameStreamError) => void;
  /**
   * Where the WebSocket lives. `auto` runs it in a worker where the browser
   * supports workers with OffscreenCanvas (a {@link WorkerFrameStreamClient}):
   * with a {@link StreamCanvas}, frames then go from socket to screen without
   * touching the main thread. `main` keeps a `FrameStreamClient` on the main
   * thread, as do options that are functions (`url` as a function,
   * `WebSocket`, `reconnectPolicy`, `random`), which cannot cross to a
   * worker. Read with `url`.
   * @default 'auto'
   */
  thread?: 'auto' | 'main';
}

/** What {@link useFrameStream} returns. */
export interface UseFrameStreamResult {
  status: ClientStatus;
  /** Live figures for display; replaced only when something visible changes. */
  metrics: StreamMetrics;
  /**
   * The client's snapshot as it is, for anything `metrics` does not surface,
   * such as `failure` (the last connection failure, for a Retry in status
   * `'error'`); `null` while there is no client.
   */
  snapshot: ClientSnapshot | null;
  /**
   * The client, `null` during server rendering, before the first effect,
   * and while there is no `url` or `enabled` is false: a
   * `WorkerFrameStreamClient` or a `FrameStreamClient` (see `thread`).
   */
  client: StreamClient | null;
  connect: () => void;
  disconnect: () => void;
  /** Ask the server for at most `fps` frames per second; `null` removes the cap. */
  setMaxFps: (fps: number | null) => void;
  /** The cap last asked for, `null` for none. */
  maxFps: number | null;
}

const noSubscribe = () => () => {};
const noSnapshot = () => null;

/** The hook's own options, read live or re-creating the client. */
const HOOK_KEYS = ['onFrame', 'onError', 'thread', 'enabled'] as const;
const KNOWN_KEYS: readonly string[] = [...CLIENT_OPTION_KEYS, ...HOOK_KEYS];
/** Options whose change takes effect: they re-create the client, or are read on every call. */
const LIVE_KEYS: ReadonlySet<string> = new Set(['url', 'WebSocket', 'thread', 'enabled', 'onFrame', 'onError']);
/** Read only when the client is created: a later change is ignored (and warned about in development). */
const CREATION_KEYS = KNOWN_KEYS.filter((key) => !LIVE_KEYS.has(key));

// Bundlers replace `process.env.NODE_ENV`; a browser without one has no
// `process` at all, which counts as production.
function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}

function sameOption(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  // `stopOnCloseCodes: [4401]` written inline is a new array on every render.
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

const show = (value: unknown): string => (typeof value === 'function' ? 'a new function' : `\`${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}\``);

/**
 * In development, warns once per option when one that is read only at
 * creation changes while the same client lives, instead of ignoring it
 * without a word.
 */
function useCreationOnlyWarnings(options: UseFrameStreamOptions, createdWith: UseFrameStreamOptions | null): void {
  const warned = useRef(new Set<string>());
  useEffect(() => {
    if (!createdWith || !isDevelopment()) return;
    for (const key of CREATION_KEYS as (keyof UseFrameStreamOptions)[]) {
      if (warned.current.has(key) || sameOption(createdWith[key], options[key])) continue;
      warned.current.add(key);
      const hint = key === 'maxFps' ? ' Use setMaxFps() to change the cap.' : ' Give the component a new `key` to apply it.';
      console.warn(
        `framestream: useFrameStream's \`${key}\` changed from ${show(createdWith[key])} to ${show(options[key])}, but it is read only ` +
          `when the client is created (on a new \`url\`, \`WebSocket\`, \`thread\` or \`enabled\`); the change is ignored.${hint}`,
      );
    }
  });
}

function createClient(options: FrameStreamClientOptions, thread: 'auto' | 'main'): StreamClient {
  return (thread === 'auto' ? WorkerFrameStreamClient.start(options) : null) ?? new FrameStreamClient(options);
}

/**
 * Owns a stream client for the component's lifetime and exposes its
 * status and metrics through `useSyncExternalStore`.
 *
 * The client is created in an effect (so server rendering touches no
 * `window`) and destroyed on unmount. Connecting is deferred by a microtask
 * and cancelled by the cleanup, so Strict Mode's mount-unmount-mount opens one
 * socket, not two. `url` (an array compared by value), `WebSocket`, `thread`
 * and `enabled` re-create the client; `onFrame`, `onError` and a `url`
 * function are read on every call; the other options
 * are read when the client is created, and a later change is ignored (with
 * a `console.warn` in development). An unknown option throws a `TypeError`
 * naming it and the closest known one. Without a `url`, or with
 * `enabled: false`, there is no client and the status is `disconnected`.
 * Frames cross to the main thread only for `onFrame`: leave it out when a
 * StreamCanvas paints.
 *
 * @example
 * const { status, metrics, client, connect } = useFrameStream({ url: 'ws://localhost:8080/ws/test/', autoConnect: true });
 * return <StreamCanvas client={client} />;
 */
export function useFrameStream(options: UseFrameStreamOptions): UseFrameStreamResult {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got \`${String(options)}\``);
  }
  rejectUnknownKeys(options, KNOWN_KEYS, 'useFrameStream');
  const { url, WebSocket, thread = 'auto', enabled = true } = options;
  checkHookUrl(url);
  if (typeof enabled !== 'boolean') {
    throw new TypeError(`Expected \`enabled\` to be a boolean, got \`${String(enabled)}\``);
  }
  if (thread !== 'auto' && thread !== 'main') {
    throw new TypeError(`Expected \`thread\` to be 'auto' or 'main', got \`${String(thread)}\``);
  }
  // What the client is for, compared by value, or null for no client at all.
  const activeUrl = enabled ? urlKey(url) : null;
  const optionsRef = useRef(options);
  optionsRef.current = options;

  const [client, setClient] = useState<StreamClient | null>(null);
  // The live client, for callbacks: stable identities, and never a client
  // that an option change has already destroyed.
  const clientRef = useRef<StreamClient | null>(null);
  const [maxFps, setMaxFpsState] = useState<number | null>(options.maxFps ?? null);
  const maxFpsRef = useRef(maxFps);
  // `connect()` called before the client exists (first render) is remembered.
  const wantConnected = useRef(options.autoConnect ?? false);

  // The options the live client was created with, for the warnings.
  const [createdWith, setCreatedWith] = useState<UseFrameStreamOptions | null>(null);
  useEffect(() => {
    if (activeUrl === null) return;
    const { onFrame: _f, onError: _e, autoConnect: _a, thread: _t, enabled: _n, ...clientOptions } = optionsRef.current;
    const created = createClient(
      { ...clientOptions, url: urlForClient(() => optionsRef.current.url), WebSocket, autoConnect: false, maxFps: maxFpsRef.current ?? undefined },
      thread,
    );
    setCreatedWith(optionsRef.current);
    created.on('error', (error) => optionsRef.current.onError?.(error));
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled && wantConnected.current) created.connect();
    });
    clientRef.current = created;
    setClient(created);
    return () => {
      cancelled = true;
      if (clientRef.current === created) clientRef.current = null;
      created.destroy();
      setClient((current) => (current === created ? null : current));
      setCreatedWith(null);
    };
  }, [activeUrl, WebSocket, thread]);
  useCreationOnlyWarnings(options, createdWith);

  // Listening to 'frame' makes a worker client copy every frame across, so
  // listen only while there is an `onFrame` to call.
  const wantsFrames = typeof options.onFrame === 'function';
  useEffect(() => {
    if (!client || !wantsFrames) return;
    const onFrame = (frame: Frame) => optionsRef.current.onFrame?.(frame);
    client.on('frame', onFrame);
    return () => {
      client.off('frame', onFrame);
    };
  }, [client, wantsFrames]);

  const subscribe = useMemo(() => (client ? client.subscribe.bind(client) : noSubscribe), [client]);
  const getSnapshot = useMemo(() => (client ? client.getSnapshot.bind(client) : noSnapshot), [client]);
  const snapshot = useSyncExternalStore(subscribe, getSnapshot, noSnapshot);

  const connect = useCallback(() => {
    wantConnected.current = true;
    clientRef.current?.connect();
  }, []);
  const disconnect = useCallback(() => {
    wantConnected.current = false;
    clientRef.current?.disconnect();
  }, []);
  const setMaxFps = useCallback(
    (value: number | null) => {
      const fps = checkMaxFps(value);
      maxFpsRef.current = fps;
      setMaxFpsState(fps);
      clientRef.current?.setMaxFps(fps);
    },
    [],
  );

  const metrics = useMemo(() => snapshotMetrics(snapshot), [snapshot]);
  return {
    status: snapshot?.status ?? 'disconnected',
    metrics,
    snapshot,
    client,
    connect,
    disconnect,
    setMaxFps,
    maxFps,
  };
}
