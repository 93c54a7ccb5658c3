import { describe, expect, it } from 'vitest';
import { fitRect } from '../../src/react/painter.js';

describe('fitRect', () => {
  describe("with 'cover'", () => {
    it('fills a wider canvas and crops top and bottom, centred', () => {
      expect(fitRect(400, 300, 800, 400, 'cover')).toEqual({ x: 0, y: -100, width: 800, height: 600 });
    });

    it('fills a taller canvas and crops left and right, centred', () => {
      expect(fitRect(400, 300, 300, 600, 'cover')).toEqual({ x: -250, y: 0, width: 800, height: 600 });
    });
  });

  describe("with 'contain'", () => {
    it('shows the whole frame in a wider canvas with bars left and right', () => {
      const r = fitRect(400, 300, 800, 400, 'contain');
      expect(r.x).toBeCloseTo(400 / 3, 9);
      expect(r.width).toBeCloseTo(1600 / 3, 9);
      expect([r.y, r.height]).toEqual([0, 400]);
    });

    it('shows the whole frame in a taller canvas with bars top and bottom', () => {
      expect(fitRect(400, 300, 300, 600, 'contain')).toEqual({ x: 0, y: 187.5, width: 300, height: 225 });
    });
  });

  it('draws a same-shaped frame edge to edge in both modes', () => {
    for (const mode of ['cover', 'contain'] as const) {
      expect(fitRect(640, 360, 1280, 720, mode)).toEqual({ x: 0, y: 0, width: 1280, height: 720 });
    }
  });

  it('draws nothing when either size is zero', () => {
    expect(fitRect(0, 300, 800, 400, 'cover')).toEqual({ x: 0, y: 0, width: 0, height: 0 });
    expect(fitRect(400, 300, 800, 0, 'contain')).toEqual({ x: 0, y: 0, width: 0, height: 0 });
  });
});
