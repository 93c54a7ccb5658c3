// The client's `url` option: its forms, and how each is checked and resolved.

/** What a `url` function is told before each connection attempt. */
export interface UrlContext {
  /**
   * 0 for the first attempt after `connect()`, then the number of the
   * retry (1, 2, …) exactly as the reconnect policy counts it.
   */
  attempt: number;
  /** The URL of the attempt before this one, as resolved; absent before the first. */
  previous?: string;
  /**
   * Close code of the connection that ended (1006 when it never opened);
   * absent for the first attempt after `connect()`.
   */
  closeCode?: number;
}

/**
 * Gives the URL for the next connection attempt: service discovery, a load
 * balancer's list, a token fetched per connection. Called before every
 * attempt; may return a promise.
 */
export type UrlProvider = (context: UrlContext) => string | Promise<string>;

/** The forms of the client's `url` option. */
export type UrlOption = string | readonly string[] | UrlProvider;

/** A checked `url` option: resolved URLs to take in turn, or a function to ask. */
export type UrlSource = { readonly urls: readonly string[] } | { readonly provider: UrlProvider };

/**
 * Resolves a relative URL against the page (browsers) and turns `http(s):`
 * into `ws(s):`, so `url: '/ws/test/'` works in an app served by the stream's
 * own server. Throws a `TypeError` naming `name` for anything else.
 */
export function resolveUrl(url: unknown, name = 'url'): string {
  if (typeof url !== 'string' || url === '') {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got \`${String(url)}\``);
  }
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    throw new TypeError(`Expected \`${name}\` to be a ws:// or wss:// URL, got \`${url}\``);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new TypeError(`Expected \`${name}\` to be a ws:// or wss:// URL, got \`${url}\``);
  }
  return parsed.href;
}

/**
 * Checks the `url` option: a URL, a non-empty array of URLs (each checked
 * and resolved now, named `url[i]` when bad) or a function.
 */
export function resolveUrlOption(value: unknown): UrlSource {
  if (typeof value === 'function') return { provider: value as UrlProvider };
  if (Array.isArray(value)) {
    if (value.length === 0) throw new TypeError('Expected `url` to hold at least one URL, got an empty array');
    return { urls: Object.freeze(value.map((url, i) => resolveUrl(url, `url[${i}]`))) };
  }
  if (typeof value !== 'string') {
    throw new TypeError(`Expected \`url\` to be a URL, an array of URLs or a function, got \`${String(value)}\``);
  }
  return { urls: [resolveUrl(value)] };
}
