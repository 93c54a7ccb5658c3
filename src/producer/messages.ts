import { FrameStreamError, parseIngestServerMessage, type FrameStreamErrorCode } from '../protocol/index.js';
import type { ProducerWelcome } from './types.js';

const isTarget = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffff_ffff;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A server message, read and checked. */
export type ServerEvent =
  | { type: 'welcome'; welcome: ProducerWelcome }
  /** `target` 0: a frame to the stream's viewers; else a session's. */
  | { type: 'credit'; n: number; target: number }
  | { type: 'sessionStart'; target: number; id: string; params: Record<string, unknown>; viewer: unknown; expiresAt: number | null }
  | { type: 'sessionParams'; target: number; params: Record<string, unknown> }
  | { type: 'sessionEnd'; target: number; reason: string }
  | { type: 'demand'; watching: boolean }
  | { type: 'error'; error: FrameStreamError };

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

const malformed = (message: string) => new FrameStreamError('ERR_PRODUCER_PROTOCOL', message);

/**
 * Reads one server → producer message, checking the numbers flow control
 * rests on: a `welcome` without a credit count, or a `credit` without a
 * positive `n`, would stall the producer or let it run ahead. Throws
 * `ERR_PRODUCER_PROTOCOL` for anything v1 does not say (the
 * session messages come only to a producer that asked for them).
 */
export function readServerMessage(text: string): ServerEvent {
  const msg = parseIngestServerMessage(text);
  switch (msg.type) {
    case 'welcome': {
      const { credits, maxFrameBytes, stream } = msg;
      if (!isCount(credits)) throw malformed(`The server's \`welcome\` needs credits >= 1, got ${JSON.stringify(credits)}`);
      const max = isCount(maxFrameBytes) ? maxFrameBytes : Infinity;
      return { type: 'welcome', welcome: { credits, maxFrameBytes: max, stream, watching: msg.watching === true, sessions: msg.sessions === true } };
    }
    case 'credit':
      if (!isCount(msg.n)) throw malformed(`A \`credit\` message needs a count n >= 1, got ${JSON.stringify(msg.n)}`);
      if (msg.target !== undefined && !isTarget(msg.target)) throw malformed(`A \`credit\` message's target must be a u32 >= 1, got ${JSON.stringify(msg.target)}`);
      return { type: 'credit', n: msg.n, target: msg.target ?? 0 };
    case 'demand':
      return { type: 'demand', watching: msg.watching === true };
    case 'error':
      return { type: 'error', error: new FrameStreamError(String(msg.code) as FrameStreamErrorCode, `The server says: ${msg.message}`) };
    case 'sessionStart':
      if (!isTarget(msg.target) || typeof msg.id !== 'string') throw malformed('A `sessionStart` needs a target >= 1 and an id');
      return {
        type: 'sessionStart',
        target: msg.target,
        id: msg.id,
        params: isObject(msg.params) ? msg.params : {},
        viewer: msg.viewer ?? null,
        expiresAt: typeof msg.expiresAt === 'number' ? msg.expiresAt : null,
      };
    case 'sessionParams':
      if (!isTarget(msg.target) || !isObject(msg.params)) throw malformed('A `sessionParams` needs a target >= 1 and params');
      return { type: 'sessionParams', target: msg.target, params: msg.params };
    case 'sessionEnd':
      if (!isTarget(msg.target)) throw malformed('A `sessionEnd` needs a target >= 1');
      return { type: 'sessionEnd', target: msg.target, reason: String(msg.reason ?? '') };
  }
}
