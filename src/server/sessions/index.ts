import { INPUT_FRAME_TYPE, INPUT_HEADER_BYTES } from '../../protocol/index.js';
import type { MessageRegistry } from '../viewers/messages.js';
import { SessionManager, type SessionManagerOptions } from './manager.js';

export interface OpenSessionsOptions extends SessionManagerOptions {
  /** The stream's message registry: sessions add `params` and input frames to it. */
  messages: MessageRegistry;
  paramsMaxBytes: number;
}

/** Makes a stream interactive: its sessions, and the messages their viewers send. */
export function openSessions(o: OpenSessionsOptions): SessionManager {
  const manager = new SessionManager(o);
  o.messages
    .onText('params', { maxBytes: o.paramsMaxBytes, rate: { messages: 20, perMs: 1000 }, handle: (v, msg) => manager.params(v, msg.params) })
    .onBinary(INPUT_FRAME_TYPE, {
      maxBytes: o.settings.maxInputBytes + INPUT_HEADER_BYTES,
      tooLarge: 'ERR_INPUT_TOO_LARGE',
      // A camera at 30-60 FPS, with room for bursts after a stall.
      rate: { messages: 120, perMs: 1000 },
      handle: (v, bytes) => manager.input(v, bytes),
    });
  return manager;
}
