import type { ClientSnapshot, FrameStreamClientOptions, SendFrameOptions } from 'framestream/client';
import type { FitMode, PainterStats } from './painter.js';
import type { WorkerInputFrame } from './worker-input.js';

/**
 * Messages between the main thread and the framestream worker
 * (stream-worker.ts). One worker hosts any number of painters, each owning a
 * transferred OffscreenCanvas, and at most one stream client whose frames go
 * straight to the painters attached to it.
 */

/**
 * Client options that can cross to a worker: every option but the
 * functions, with `url` as resolved URLs (a relative one would resolve
 * against the worker's blob: URL there, not the page).
 */
export type WorkerClientOptions = Omit<FrameStreamClientOptions, 'url' | 'WebSocket' | 'reconnectPolicy' | 'random'> & {
  url: string | readonly string[];
};

/** Per-frame client events, posted only while the main thread listens for them. */
export interface ForwardedEvents {
  frame: boolean;
  latency: boolean;
}

export type ToWorker =
  | { type: 'paint-init'; id: number; canvas: OffscreenCanvas; fit: FitMode; width: number; height: number; fromClient: boolean }
  /** A frame fed from the main thread; `capturedAt` is the capture time on this machine's clock, if known. */
  | { type: 'paint-frame'; id: number; buffer: ArrayBuffer; capturedAt: number | null }
  | { type: 'paint-resize'; id: number; width: number; height: number }
  | { type: 'paint-fit'; id: number; fit: FitMode }
  | { type: 'paint-clear'; id: number }
  | { type: 'paint-destroy'; id: number }
  | { type: 'client-create'; options: WorkerClientOptions }
  | { type: 'client-connect' }
  | { type: 'client-disconnect' }
  | { type: 'client-set-max-fps'; fps: number | null }
  /** `json` is already checked and serialised on the main thread. */
  | { type: 'client-send'; json: string }
  | { type: 'client-forward'; events: ForwardedEvents }
  /** An input frame for `sendFrame`, already checked and past the FPS cap; pixels were transferred. */
  | { type: 'client-send-frame'; frame: WorkerInputFrame; options: SendFrameOptions }
  /** A `params` message, checked and serialised on the main thread. */
  | { type: 'client-set-params'; params: Record<string, unknown> };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'stats'; id: number; stats: PainterStats }
  | { type: 'client-event'; event: string; args: unknown[] }
  | { type: 'client-error'; code: string; message: string }
  | { type: 'client-snapshot'; snapshot: ClientSnapshot };
