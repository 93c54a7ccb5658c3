import { FrameStreamError } from '../protocol/index.js';
import { resolveUrl, type UrlContext, type UrlProvider, type UrlSource } from './url.js';

export type { UrlContext, UrlOption, UrlProvider, UrlSource } from './url.js';

/**
 * Where the client connects next. A list is taken in turn, from the first:
 * a URL whose attempt failed or whose connection dropped is passed over for
 * the next one, so a node that just died is not the first one tried again
 * (and a `connect()` after the client gave up starts at the next one too).
 * A `connect()` after `disconnect()` returns to the URL it was on.
 *
 * A function is asked before every attempt. What it throws, rejects with or
 * returns that is not a usable URL becomes an `ERR_HOOK_FAILED` error for
 * the client to treat as a failed attempt, never an exception.
 */
export class Endpoints {
  private index = 0;
  /** Bumped by {@link cancel}, so an answer from a provider that was overtaken is dropped. */
  private generation = 0;
  /** What the function gave last. */
  private last: string | null = null;

  constructor(private readonly source: UrlSource) {}

  /**
   * The URL of the current connection or of the attempt under way. Between
   * attempts: for a list, the one the next attempt goes to; for a function,
   * the one it gave last (`null` before its first answer).
   */
  get current(): string | null {
    return 'urls' in this.source ? this.source.urls[this.index]! : this.last;
  }

  /** What to call the target in a message: the URL, the list, or the one the function gave last. */
  describe(): string {
    if ('provider' in this.source) return this.last === null ? 'the URLs `url` gives' : `${this.last} (the last URL \`url\` gave)`;
    const { urls } = this.source;
    return urls.length === 1 ? urls[0]! : `any of ${urls.join(', ')}`;
  }

  /** The current URL failed or dropped: the next attempt goes to the next one in the list. */
  failed(): void {
    if ('urls' in this.source) this.index = (this.index + 1) % this.source.urls.length;
  }

  /**
   * Picks the URL for an attempt and calls `open` with it: at once for a
   * list or a function that returns a string, once settled for a promise.
   * `fail` gets the error when the function gives no usable URL. After
   * {@link cancel}, a pending answer calls neither.
   */
  pick(context: Omit<UrlContext, 'previous'>, open: (url: string) => void, fail: (error: FrameStreamError) => void): void {
    const source = this.source;
    if ('urls' in source) return open(source.urls[this.index]!);
    const generation = ++this.generation;
    const asked: UrlContext = { ...context, ...(this.last !== null && { previous: this.last }) };
    const settle = (value: unknown) => {
      if (generation !== this.generation) return;
      let url: string;
      try {
        url = resolveUrl(value);
      } catch (cause) {
        const got = typeof value === 'string' ? `\`${value}\`` : `a ${typeof value} (\`${String(value)}\`)`;
        const expected = 'a ws://, wss://, http(s):// or, in a browser, relative URL';
        return fail(new FrameStreamError('ERR_HOOK_FAILED', `\`url\` returned ${got}, expected ${expected}`, { cause }));
      }
      open((this.last = url));
    };
    const threw = (verb: 'threw' | 'rejected') => (cause: unknown) => {
      if (generation !== this.generation) return;
      const detail = cause instanceof Error ? cause.message : String(cause);
      fail(new FrameStreamError('ERR_HOOK_FAILED', `\`url\` ${verb}: ${detail}`, { cause }));
    };
    let result: unknown;
    try {
      result = source.provider(asked);
    } catch (cause) {
      return threw('threw')(cause);
    }
    if (isThenable(result)) Promise.resolve(result).then(settle, threw('rejected'));
    else settle(result);
  }

  /** Drops the answer of a function still being waited for (`disconnect()`). */
  cancel(): void {
    this.generation++;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
