import { describe, expect, it } from 'vitest';
import { castFocus, containsRect, coverCrop, mapCast, mapThroughCrop } from '../../../src/lib/layout';
import { member, rng } from './helpers';

describe('cover crop', () => {
  it('has the frame aspect, lies inside the picture, and contains the cast when it can', () => {
    const r = rng(7);
    let contained = 0;
    for (let i = 0; i < 300; i++) {
      const ia = 0.3 + r() * 3;
      const fa = 0.3 + r() * 3;
      const w = 0.1 + r() * 0.5;
      const focus = { x: r() * (1 - w), y: r() * 0.5, w, h: 0.1 + r() * 0.4 };
      const crop = coverCrop(ia, fa, focus);
      // Aspect in picture pixels: (crop.w · ia) / crop.h.
      expect((crop.w * ia) / crop.h).toBeCloseTo(fa, 9);
      expect(containsRect({ x: 0, y: 0, w: 1, h: 1 }, crop)).toBe(true);
      expect(Math.max(crop.w, crop.h)).toBeCloseTo(1, 12);
      if (focus.w <= crop.w && focus.h <= crop.h) {
        expect(containsRect(crop, focus, 1e-9)).toBe(true);
        contained++;
      } else {
        // Too big: centred on the focus along the axis that cannot hold it (unless at the picture's edge).
        const cx = crop.x + crop.w / 2;
        const fx = focus.x + focus.w / 2;
        if (focus.w > crop.w && crop.x > 1e-9 && crop.x + crop.w < 1 - 1e-9) expect(cx).toBeCloseTo(fx, 9);
      }
    }
    expect(contained).toBeGreaterThan(100);
  });

  it('is centred without a cast', () => {
    expect(coverCrop(2, 1, null)).toEqual({ x: 0.25, y: 0, w: 0.5, h: 1 });
    expect(coverCrop(1, 2, null)).toEqual({ x: 0, y: 0.25, w: 1, h: 0.5 });
  });

  it('maps cast boxes through the crop onto the page, clipped to the frame', () => {
    const frame = { x: 100, y: 50, w: 200, h: 100 };
    const crop = { x: 0, y: 0.25, w: 1, h: 0.5 };
    expect(mapThroughCrop({ x: 0.5, y: 0.25, w: 0.25, h: 0.25 }, crop, frame)).toEqual({
      x: 200,
      y: 50,
      w: 50,
      h: 50,
    });
    // A head above the crop is clipped away and dropped.
    const cast = mapCast([member('a', 0.4, 0, 0.2, 0.9)], crop, frame);
    expect(cast[0]!.headZones).toEqual([]);
    expect(cast[0]!.region.y).toBe(50);
    const focus = castFocus([member('a', 0.1, 0.2, 0.2, 0.5), member('b', 0.6, 0.1, 0.2, 0.5)])!;
    expect([focus.x, focus.y, focus.w, focus.h].map((v) => v.toFixed(9))).toEqual(
      [0.1, 0.1, 0.7, 0.6].map((v) => v.toFixed(9)),
    );
  });
});
