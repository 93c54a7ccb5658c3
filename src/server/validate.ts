/** How an option's bad value is shown in its error message. */
export const show = (v: unknown): string => {
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/** Throws naming `name` unless `v` is an integer in [min, max]. */
export function integer(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number') throw new TypeError(`Expected \`${name}\` to be a number, got \`${show(v)}\``);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer in [${min}, ${max}], got \`${show(v)}\``);
  }
}

/** Throws naming `name` unless `v` is a path starting with "/". */
export function urlPath(name: string, v: unknown): void {
  if (typeof v !== 'string' || !v.startsWith('/') || /[?#\s]/.test(v)) {
    throw new TypeError(`Expected \`${name}\` to be a path starting with "/", got \`${show(v)}\``);
  }
}
