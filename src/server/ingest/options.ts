import type { IncomingMessage } from 'node:http';
import type { Session } from '../types.js';
import { rejectUnknownKeys } from '../../protocol/suggest.js';
import { normalizePath } from '../http/host.js';
import { integer, show, urlPath } from '../validate.js';

/** The `ingest` option: where and how an external producer connects. */
export interface IngestOptions {
  /**
   * The producer's WebSocket path (subprotocol `framestream.producer.v1`).
   * @default the stream's `path` + `'/producer'`
   */
  path?: string;
  /** Shared secret a producer sends as `Authorization: Bearer <token>` (or `?token=`); compared in constant time. */
  token?: string;
  /** Decides whether a producer may connect (instead of or besides `token`); a throw refuses with 500. */
  authorizeProducer?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * A second producer replaces the first (closed with 4410) instead of being refused (4409).
   * @default false
   */
  replace?: boolean;
  /**
   * Frames a producer may have in flight before it waits for a credit
   * (per session, for a producer serving sessions).
   * @default 2
   */
  credits?: number;
  /**
   * With `session: 'producer'`: what the producer is told about each
   * session's viewer (its `sessionStart.viewer`, JSON). Nothing by default:
   * `identity` is whatever `authorize` read (often from cookies), and the
   * producer may run on another machine, so the app chooses what to share.
   * @default undefined (the producer gets `viewer: null`)
   * @example
   * sessionInfo: (session) => ({ user: (session.identity as { name: string }).name })
   */
  sessionInfo?: (session: Session) => unknown;
}

const INGEST_KEYS = ['path', 'token', 'authorizeProducer', 'replace', 'credits', 'sessionInfo'];

export type ResolvedIngest = Required<Pick<IngestOptions, 'path' | 'replace' | 'credits'>> &
  Pick<IngestOptions, 'token' | 'authorizeProducer' | 'sessionInfo'>;

/** Validates the `ingest` option, naming the bad field; `streamPath` is the stream's normalised path. */
export function resolveIngest(ingest: unknown, streamPath: string): ResolvedIngest {
  if (typeof ingest !== 'object' || ingest === null) {
    throw new TypeError(`Expected \`ingest\` to be an object, got \`${show(ingest)}\``);
  }
  rejectUnknownKeys(ingest, INGEST_KEYS, '`ingest`');
  const i = { path: `${normalizePath(streamPath).replace(/\/$/, '')}/producer`, replace: false, credits: 2, ...ingest } as ResolvedIngest;
  urlPath('ingest.path', i.path);
  if (i.token !== undefined && (typeof i.token !== 'string' || i.token.length === 0)) {
    throw new TypeError(`Expected \`ingest.token\` to be a non-empty string, got \`${show(i.token)}\``);
  }
  if (i.authorizeProducer !== undefined && typeof i.authorizeProducer !== 'function') {
    throw new TypeError(`Expected \`ingest.authorizeProducer\` to be a function, got \`${show(i.authorizeProducer)}\``);
  }
  if (i.token === undefined && i.authorizeProducer === undefined) {
    throw new TypeError("Expected `ingest.token` or `ingest.authorizeProducer`: a producer's frames reach every viewer");
  }
  if (typeof i.replace !== 'boolean') throw new TypeError(`Expected \`ingest.replace\` to be a boolean, got \`${show(i.replace)}\``);
  integer('ingest.credits', i.credits, 1, 64);
  if (i.sessionInfo !== undefined && typeof i.sessionInfo !== 'function') {
    throw new TypeError(`Expected \`ingest.sessionInfo\` to be a function, got \`${show(i.sessionInfo)}\``);
  }
  return i;
}
