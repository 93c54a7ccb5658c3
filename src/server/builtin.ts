import { randomFillSync } from 'node:crypto';
import sharp from 'sharp';

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
 * glance: a gradient scrolling one step per frame, a white bar sweeping
 * across, and the frame number in large digits. Plain loops over one buffer
 * keep it to a few milliseconds at 512×512.
 */
export function renderPattern(width: number, height: number, frame: number): RgbImage {
  const img: RgbImage = { pixels: Buffer.allocUnsafe(width * height * 3), width, height, channels: 3 };
  const p = img.pixels;
  const shift = (frame * 4) & 255;
  // One gradient row, copied down with a vertical tint.
  for (let y = 0; y < height; y++) {
    const g = Math.floor((y * 255) / Math.max(1, height - 1));
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      p[o++] = (x + shift) & 255;
      p[o++] = g;
      p[o++] = 160;
    }
  }
  const barWidth = Math.max(4, Math.round(width / 32));
  const barX = (frame * Math.max(1, Math.round(width / 96))) % width;
  fillRect(img, barX, 0, barWidth, height, 255);

  const text = String(frame);
  const scale = Math.max(1, Math.floor(Math.min(width / (text.length * 6 + 2), height / 4) / 7));
  const cell = 6 * scale;
  fillRect(img, 0, 0, text.length * cell + 2 * scale, 9 * scale, 0);
  for (let d = 0; d < text.length; d++) {
    const rows = DIGITS[text.charCodeAt(d) - 48]!;
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (rows[r]! & (0x10 >> c)) fillRect(img, scale + d * cell + c * scale, scale + r * scale, scale, scale, 255);
      }
    }
  }
  return img;
}

/**
 * JPEG-encodes raw pixels with sharp. The work runs on libuv's threadpool,
 * so the event loop keeps serving sockets while a frame encodes.
 */
export function encodeJpeg(img: RgbImage, quality: number): Promise<Buffer> {
  // Standard Huffman tables, like PIL's default `save(quality=90)` in the
  // original app: at 512×512 q90 sharp's optimised tables cost about 2.5× the
  // encode time for about 8% fewer bytes, a bad trade for live frames.
  return sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .jpeg({ quality, optimiseCoding: false })
    .toBuffer();
}
