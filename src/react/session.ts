import type { ClientSnapshot } from 'framestream/client';

/**
 * The session of an interactive stream as the client reports it
 * (`ClientSnapshot.session`, see docs/sessions.md): queued with a place in
 * line, active with an id and maybe an end time, or ended with a reason.
 */
export interface SessionInfo {
  readonly state: 'queued' | 'active' | 'ended';
  /** Place in the queue while `queued` (1 = next), else `null`. */
  readonly position: number | null;
  /** Public id while `active`, else `null`. */
  readonly id: string | null;
  /** When the session's time runs out, ms since the epoch on this client's clock; `null` for no limit. */
  readonly expiresAt: number | null;
  /** Watching someone else's session read-only: input frames and params are refused. */
  readonly spectator: boolean;
  /** Why it ended, once `ended`. */
  readonly reason: string | null;
}

/** What a camera frame given to `sendFrame` may be: JPEG bytes, or pixels the client encodes. */
export type InputFrameSource = Blob | ArrayBuffer | Uint8Array | ImageBitmap | VideoFrame | HTMLCanvasElement | OffscreenCanvas;

/** Options of `sendFrame`: the size and quality the client encodes at, and when the frame was captured. */
export interface SendFrameOptions {
  width?: number;
  height?: number;
  /** JPEG quality in (0, 1]. */
  quality?: number;
  /** Capture time, ms since the epoch (for the round trip). @default now */
  captureTime?: number;
}

/**
 * The part of a stream client the camera and the prompt box use: the
 * session methods of `FrameStreamClient` (and `WorkerFrameStreamClient`),
 * and optionally its snapshot, to know whether a session is active.
 */
export interface SessionClient {
  /**
   * Sends one input frame. The client owns `frame` from here on (it
   * transfers or closes an `ImageBitmap`/`VideoFrame`), keeps at most a few
   * unacknowledged, and says whether it was sent, kept to go next, or dropped.
   */
  sendFrame(frame: InputFrameSource, options?: SendFrameOptions): unknown;
  /** Replaces the session's parameters (`{ prompt }`, …). */
  setParams(params: Record<string, unknown>): unknown;
  subscribe?(listener: () => void): () => void;
  getSnapshot?(): ClientSnapshot;
}

/** A client snapshot, with the session fields the client reports for interactive streams. */
type SessionSnapshot = ClientSnapshot & {
  session?: SessionInfo | null;
  stats: ClientSnapshot['stats'] & { roundTrip?: { p50: number; p95: number } | null };
};

/** The snapshot's session, `null` for a broadcast stream (or a client that reports none). */
export function sessionOf(snapshot: ClientSnapshot | null | undefined): SessionInfo | null {
  return (snapshot as SessionSnapshot | null | undefined)?.session ?? null;
}

/** Input capture → output received, ms percentiles; `null` until measured. */
export function roundTripOf(snapshot: ClientSnapshot | null | undefined): { p50: number; p95: number } | null {
  return (snapshot as SessionSnapshot | null | undefined)?.stats?.roundTrip ?? null;
}

/** Whether input frames are accepted now: connected, in an active session of one's own. */
export function acceptsInput(snapshot: ClientSnapshot | null | undefined): boolean {
  const session = sessionOf(snapshot);
  return snapshot?.status === 'connected' && session?.state === 'active' && !session.spectator;
}
