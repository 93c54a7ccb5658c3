import type { UrlOption, UrlProvider } from 'framestream/client';

/**
 * Checks the shape of `useFrameStream`'s `url` at render, where a mistake
 * belongs to the caller. URLs themselves are resolved (against the page)
 * only when the client is created, so server rendering never needs one.
 */
export function checkHookUrl(url: unknown): asserts url is UrlOption | undefined {
  if (url === undefined || typeof url === 'string' || typeof url === 'function') return;
  if (!Array.isArray(url)) {
    throw new TypeError(`Expected \`url\` to be a URL, an array of URLs or a function, got \`${String(url)}\``);
  }
  url.forEach((each: unknown, i) => {
    if (typeof each !== 'string' || each === '') {
      throw new TypeError(`Expected \`url[${i}]\` to be a non-empty string, got \`${String(each)}\``);
    }
  });
}

/**
 * What the client is for, as a string equal for equal URLs, so the hook
 * re-creates its client only when the URLs really change: an array written
 * inline is a new object on every render. `'a'` and `['a']` are the same
 * target; every function is the same key (the newest is called, see
 * {@link urlForClient}). `null` for no URL (`undefined`, `''`, `[]`).
 */
export function urlKey(url: UrlOption | undefined): string | null {
  if (typeof url === 'function') return 'function';
  if (!url || url.length === 0) return null;
  return JSON.stringify(typeof url === 'string' ? [url] : url);
}

/**
 * The `url` to create a client with, from `latest()` (the newest render's
 * option). A function is wrapped to call whichever function the newest
 * render passed, as `onFrame` is, so one written inline never reconnects.
 */
export function urlForClient(latest: () => UrlOption | undefined): UrlOption {
  const url = latest();
  if (typeof url !== 'function') return url!;
  let provider: UrlProvider = url;
  return (context) => {
    const now = latest();
    // Until the client built for a function is replaced, keep the last function.
    if (typeof now === 'function') provider = now;
    return provider(context);
  };
}
