import { FrameStreamError, parseIngestServerMessage, type FrameStreamErrorCode } from '../protocol/index.js';
import type { ProducerWelcome } from './types.js';

/** A server message, read and checked. */
export type ServerEvent =
  | { type: 'welcome'; welcome: ProducerWelcome }
  | { type: 'credit'; n: number }
  | { type: 'demand'; watching: boolean }
  | { type: 'error'; error: FrameStreamError };

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

const malformed = (message: string) => new FrameStreamError('ERR_PRODUCER_PROTOCOL', message);

/**
 * Reads one server → producer message, checking the numbers flow control
 * rests on: a `welcome` without a credit count, or a `credit` without a
 * positive `n`, would stall the producer or let it run ahead. Throws
 * `ERR_PRODUCER_PROTOCOL` for anything v1 does not say.
 */
export function readServerMessage(text: string): ServerEvent {
  const msg = parseIngestServerMessage(text);
  switch (msg.type) {
    case 'welcome': {
      const { credits, maxFrameBytes, stream } = msg;
      if (!isCount(credits)) throw malformed(`The server's \`welcome\` needs credits >= 1, got ${JSON.stringify(credits)}`);
      const max = isCount(maxFrameBytes) ? maxFrameBytes : Infinity;
      return { type: 'welcome', welcome: { credits, maxFrameBytes: max, stream, watching: msg.watching === true } };
    }
    case 'credit':
      if (!isCount(msg.n)) throw malformed(`A \`credit\` message needs a count n >= 1, got ${JSON.stringify(msg.n)}`);
      return { type: 'credit', n: msg.n };
    case 'demand':
      return { type: 'demand', watching: msg.watching === true };
    case 'error':
      return { type: 'error', error: new FrameStreamError(String(msg.code) as FrameStreamErrorCode, `The server says: ${msg.message}`) };
    default:
      // Sent only to a producer that asked to serve sessions, which this one did not.
      throw malformed(`Unexpected server message type ${JSON.stringify(msg.type)}`);
  }
}
