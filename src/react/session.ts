import type { ClientSnapshot, InputFrameSource, SendFrameOptions, SendFrameResult, SessionState } from 'framestream/client';

/**
 * The session of an interactive stream as the client reports it
 * (`ClientSnapshot.session`, see docs/sessions.md): queued with a place in
 * line, active with an id and maybe an end time, or ended with a reason.
 */
export type SessionInfo = SessionState;
export type { InputFrameSource, SendFrameOptions, SendFrameResult };

/**
 * The part of a stream client the camera and the prompt box use: the
 * session methods of `FrameStreamClient` (and `WorkerFrameStreamClient`),
 * and optionally its snapshot, to know whether a session is active.
 */
export interface SessionClient {
  /**
   * Sends one input frame. The client owns `frame` from here on (it
   * transfers or closes an `ImageBitmap`/`VideoFrame`), keeps at most a few
   * unacknowledged, and says whether it was sent, kept waiting, dropped
   * (`'dropped'`) or refused (`false`).
   */
  sendFrame(frame: InputFrameSource, options?: SendFrameOptions): SendFrameResult | unknown;
  /** Replaces the session's parameters (`{ prompt }`, …). */
  setParams(params: Record<string, unknown>): unknown;
  subscribe?(listener: () => void): () => void;
  getSnapshot?(): ClientSnapshot;
}

/**
 * The snapshot's session, `null` for a broadcast stream. Snapshots made by
 * hand (stories, tests) may lack the field.
 */
export function sessionOf(snapshot: ClientSnapshot | null | undefined): SessionInfo | null {
  return snapshot?.session ?? null;
}

/** Input capture → output received, ms percentiles; `null` until measured (or in a snapshot without the field). */
export function roundTripOf(snapshot: ClientSnapshot | null | undefined): { p50: number; p95: number } | null {
  return snapshot?.stats?.roundTrip ?? null;
}

/** Whether input frames are accepted now: connected, in an active session of one's own. */
export function acceptsInput(snapshot: ClientSnapshot | null | undefined): boolean {
  const session = sessionOf(snapshot);
  return snapshot?.status === 'connected' && session?.state === 'active' && !session.spectator;
}
