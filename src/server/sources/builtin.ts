import { randomFillSync } from 'node:crypto';

/** Raw RGB pixels produced by a built-in source. */
export interface RgbImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/**
 * A fresh random RGB image, like the original app's
 * `np.random.randint(0, 255, (512, 512, 3))`. A new buffer every call: the
 * previous one may still be in the encoder on another thread.
 */
export function renderNoise(width: number, height: number): RgbImage {
  const pixels = Buffer.allocUnsafe(width * height * 3);
  randomFillSync(pixels);
  return { pixels, width, height, channels: 3 };
}

// 5×7 bitmap digits, one byte per row, bit 4 = leftmost column.
const DIGITS = [
  [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
];

function fillRect(img: RgbImage, x0: number, y0: number, w: number, h: number, v: number): void {
  const x1 = Math.min(img.width, x0 + w);
  const y1 = Math.min(img.height, y0 + h);
  for (let y = Math.max(0, y0); y < y1; y++) {
    img.pixels.fill(v, (y * img.width + Math.max(0, x0)) * 3, (y * img.width + x1) * 3);
  }
}

/**
 * A test pattern that makes motion, dropped frames and latency visible at a
 * glance: a gradient scrolling a step per frame, a white bar sweeping across,
 * a dark band sweeping down, and the frame number in large digits in the middle. It runs
 * on the event loop every frame, so it is built from one rendered row copied
 * down with doubling memcpys (well under a millisecond at 512×512) rather
 * than a loop over every pixel.
 */
export function renderPattern(width: number, height: number, frame: number): RgbImage {
  const img: RgbImage = { pixels: Buffer.allocUnsafe(width * height * 3), width, height, channels: 3 };
  const p = img.pixels;
  const shift = (frame * 4) & 255;
  for (let x = 0, o = 0; x < width; x++) {
    const v = (Math.floor((x * 256) / width) + shift) & 255;
    p[o++] = v;
    p[o++] = 255 - v;
    p[o++] = 160;
  }
  const rowBytes = width * 3;
  for (let filled = rowBytes; filled < p.length; filled *= 2) {
    p.copyWithin(filled, 0, Math.min(filled, p.length - filled));
  }
  const bandHeight = Math.max(2, Math.round(height / 32));
  const bandY = (frame * Math.max(1, Math.round(height / 96))) % height;
  fillRect(img, 0, bandY, width, bandHeight, 32);
  const barWidth = Math.max(4, Math.round(width / 32));
  const barX = (frame * Math.max(1, Math.round(width / 96))) % width;
  fillRect(img, barX, 0, barWidth, height, 255);

  const text = String(frame);
  // Digits are 5×7 cells on a 6×9 pitch; as large as fits a quarter of the
  // height. The counter sits in the middle, so a viewer that crops the frame
  // to fill a wide or tall screen (cover fit) still shows it whole.
  const scale = Math.max(1, Math.floor(Math.min(width / (text.length * 6 + 2), height / 4 / 9)));
  const cell = 6 * scale;
  const boxWidth = text.length * cell + 2 * scale;
  const x0 = Math.max(0, Math.floor((width - boxWidth) / 2));
  const y0 = Math.max(0, Math.floor((height - 9 * scale) / 2));
  fillRect(img, x0, y0, boxWidth, 9 * scale, 0);
  for (let d = 0; d < text.length; d++) {
    const rows = DIGITS[text.charCodeAt(d) - 48]!;
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (rows[r]! & (0x10 >> c)) fillRect(img, x0 + scale + d * cell + c * scale, y0 + scale + r * scale, scale, scale, 255);
      }
    }
  }
  return img;
}
