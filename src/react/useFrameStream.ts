import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { FrameStreamClient } from 'framestream/client';
import type { ClientSnapshot, ClientStatus, Frame, FrameStreamClientOptions, FrameStreamError } from 'framestream/client';
import { checkMaxFps } from '../client/options.js';
import { snapshotMetrics, type StreamMetrics } from './metrics.js';
import { WorkerFrameStreamClient, type StreamClient } from './worker-client.js';

/** Options of {@link useFrameStream}: the client's, plus callbacks kept in refs. */
export interface UseFrameStreamOptions extends FrameStreamClientOptions {
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
   * thread, as do options that are functions (`WebSocket`, `reconnectPolicy`,
   * `random`), which cannot cross to a worker. Read with `url`.
   * @default 'auto'
   */
  thread?: 'auto' | 'main';
}

/** What {@link useFrameStream} returns. */
export interface UseFrameStreamResult {
  status: ClientStatus;
  /** Live figures for display; replaced only when something visible changes. */
  metrics: StreamMetrics;
  /** The client's snapshot as it is, for anything `metrics` does not surface. */
  snapshot: ClientSnapshot | null;
  /**
   * The client, `null` during server rendering and before the first effect:
   * a `WorkerFrameStreamClient` or a `FrameStreamClient` (see `thread`).
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
 * socket, not two. Only `url`, `WebSocket` and `thread` re-create the
 * client; other options are read when it is created. Frames cross to the
 * main thread only for `onFrame`: leave it out when a StreamCanvas paints.
 *
 * @example
 * const { status, metrics, client, connect } = useFrameStream({ url: 'ws://localhost:8080/ws/test/', autoConnect: true });
 * return <StreamCanvas client={client} />;
 */
export function useFrameStream(options: UseFrameStreamOptions): UseFrameStreamResult {
  if (typeof options?.url !== 'string' || options.url === '') {
    throw new TypeError(`Expected \`url\` to be a non-empty string, got \`${String(options?.url)}\``);
  }
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

  const { url, WebSocket, thread = 'auto' } = options;
  if (thread !== 'auto' && thread !== 'main') {
    throw new TypeError(`Expected \`thread\` to be 'auto' or 'main', got \`${String(thread)}\``);
  }
  useEffect(() => {
    const { onFrame: _f, onError: _e, autoConnect: _a, thread: _t, ...clientOptions } = optionsRef.current;
    const created = createClient(
      { ...clientOptions, url, WebSocket, autoConnect: false, maxFps: maxFpsRef.current ?? undefined },
      thread,
    );
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
    };
  }, [url, WebSocket, thread]);

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
