/**
 * Small, dependency-free statistics for benchmark samples. Every figure in
 * docs/benchmarks.md goes through these, so the definitions live in one place.
 */

/**
 * The q-quantile (0..1) of `values` by linear interpolation between the two
 * nearest ranks; `null` for an empty sample so a missing figure is never
 * printed as 0.
 * @param {ArrayLike<number>} values
 * @param {number} q
 * @returns {number | null}
 */
export function quantile(values, q) {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** @param {ArrayLike<number>} values */
export const median = (values) => quantile(values, 0.5);

/** @param {ArrayLike<number>} values */
export function mean(values) {
  if (values.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/**
 * Least-squares slope of y over x (units of y per unit of x). Used for the
 * soak test's "flat after warm-up" claim: a leak shows as a positive slope,
 * noise as a slope near zero.
 * @param {number[]} xs
 * @param {number[]} ys
 * @returns {number | null}
 */
export function slope(xs, ys) {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

/**
 * Rounds for display; `null`/`undefined`/NaN print as an em dash.
 * @param {number | null | undefined} value
 * @param {number} [digits]
 */
export function fmt(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(digits);
}
