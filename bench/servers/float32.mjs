import { SETTINGS } from './common.mjs';

/**
 * A few random Float32 RGB frames in [0, 1), the layout a NumPy/PyTorch
 * pipeline hands over. They are made once and cycled, so the per-frame cost
 * measured is the conversion and encode, not Math.random.
 * @param {number} count
 */
export function float32Frames(count) {
  const n = SETTINGS.width * SETTINGS.height * 3;
  return Array.from({ length: count }, () => {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = Math.random();
    return f;
  });
}
