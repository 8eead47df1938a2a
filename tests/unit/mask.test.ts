import { describe, expect, it } from 'vitest';
import {
  boxRect,
  cropAround,
  cropPlane,
  cropRgba,
  distanceField,
  editMask,
  featherMask,
  featherRadius,
  latentMask,
  maskBounds,
  pasteBack,
  rasterizeMask,
} from '../../src/lib/pipeline/mask';
import { rgbaToChw } from '../../src/lib/pipeline/image';
import { buildCollage, figureBounds, sceneTint } from '../../src/lib/pipeline/collage';

describe('mask rasterising', () => {
  it('turns a fractional box into the pixels whose centres lie inside it', () => {
    expect(boxRect({ x: 0.25, y: 0.5, w: 0.5, h: 0.25 }, 64, 64)).toEqual({
      x: 16,
      y: 32,
      width: 32,
      height: 16,
    });
    const m = rasterizeMask({ box: { x: 0.25, y: 0.5, w: 0.5, h: 0.25 } }, 64, 64);
    expect(m.reduce((a, b) => a + b, 0)).toBe(32 * 16);
    expect(m[32 * 64 + 16]).toBe(1);
    expect(m[32 * 64 + 15]).toBe(0);
    expect(m[48 * 64 + 16]).toBe(0);
  });

  it('scales a brush bitmap of another resolution and unions it with the box', () => {
    const brush = { width: 4, height: 4, data: new Uint8Array(16) };
    brush.data[0] = 255; // top-left quarter-cell of a 4×4 bitmap → 16×16 pixels of a 64×64 image
    const m = rasterizeMask({ brush, box: { x: 0.75, y: 0.75, w: 0.25, h: 0.25 } }, 64, 64);
    expect(m.reduce((a, b) => a + b, 0)).toBe(256 + 256);
    expect(m[0]).toBe(1);
    expect(m[15 * 64 + 15]).toBe(1);
    expect(m[16 * 64 + 16]).toBe(0);
    expect(() => rasterizeMask({ brush: { width: 4, height: 4, data: new Uint8Array(3) } }, 8, 8)).toThrow(
      /needs 16 values/,
    );
  });
});

describe('feathering', () => {
  it('measures distances close to the Euclidean ones', () => {
    const m = new Uint8Array(21 * 21);
    m[10 * 21 + 10] = 1;
    const d = distanceField(m, 21, 21);
    expect(d[10 * 21 + 10]).toBe(0);
    expect(d[10 * 21 + 15]).toBeCloseTo(5, 5);
    expect(d[15 * 21 + 15]).toBeGreaterThan(6.5);
    expect(d[15 * 21 + 15]).toBeLessThan(7.2);
    expect(distanceField(new Uint8Array(4), 2, 2)[0]).toBe(Infinity);
  });

  it('is 1 on the mask, falls to 0 within the radius outside it, and 0 beyond', () => {
    const hard = rasterizeMask({ box: { x: 0.5, y: 0, w: 0.5, h: 1 } }, 32, 8);
    const soft = featherMask(hard, 32, 8, 3);
    const row = Array.from(soft.slice(0, 32));
    expect(row.slice(16)).toEqual(Array(16).fill(1));
    expect(row[15]).toBeCloseTo(0.75, 5);
    expect(row[13]).toBeCloseTo(0.25, 5);
    expect(row[12]).toBe(0);
    expect(row.slice(0, 13)).toEqual(Array(13).fill(0));
    // Monotone across the seam.
    for (let x = 1; x < 32; x++) expect(row[x]!).toBeGreaterThanOrEqual(row[x - 1]!);
  });

  it('chooses about 2 % of the short side, at least 2 px', () => {
    expect(featherRadius(64, 64)).toBe(2);
    expect(featherRadius(512, 512)).toBe(11);
    expect(featherRadius(1024, 576)).toBe(12);
  });
});

describe('crop around the mask', () => {
  it('adds the margin, grows each side to a multiple of 8 around the bounds (not onto the grid) inside the image', () => {
    // 100 + 2·11 = 122 px wide → 128, centred; the top margin is clipped by the image: 0 to 71 → 72.
    const crop = cropAround({ x: 130, y: 10, width: 100, height: 50 }, 512, 512, { margin: 11, multiple: 8 });
    expect(crop).toEqual({ x: 116, y: 0, width: 128, height: 72 });
    expect(crop.width % 8).toBe(0);
    expect(crop.height % 8).toBe(0);
    // Against the edge: shifted inside, never cut below the size.
    expect(cropAround({ x: 500, y: 0, width: 12, height: 8 }, 512, 512, { margin: 0, multiple: 8 })).toEqual({
      x: 496,
      y: 0,
      width: 16,
      height: 8,
    });
  });

  it('grows a small crop to the minimum side, shifting it inside the image', () => {
    const crop = cropAround({ x: 60, y: 60, width: 2, height: 2 }, 64, 64, {
      margin: 2,
      multiple: 8,
      minSide: 32,
    });
    expect(crop).toEqual({ x: 32, y: 32, width: 32, height: 32 });
    const whole = cropAround({ x: 0, y: 0, width: 1, height: 1 }, 16, 16, {
      margin: 0,
      multiple: 8,
      minSide: 64,
    });
    expect(whole).toEqual({ x: 0, y: 0, width: 16, height: 16 });
    expect(() => cropAround({ x: 0, y: 0, width: 1, height: 1 }, 60, 64, { margin: 0, multiple: 8 })).toThrow(
      /multiples of 8/,
    );
  });

  it('finds the bounds of the support and reduces it to latent cells', () => {
    const soft = featherMask(rasterizeMask({ box: { x: 0.5, y: 0.5, w: 0.25, h: 0.25 } }, 32, 32), 32, 32, 2);
    expect(maskBounds(soft, 32, 32)).toEqual({ x: 14, y: 14, width: 12, height: 12 });
    expect(maskBounds(new Float32Array(4), 2, 2)).toBeNull();
    const cells = latentMask(soft, 32, 32, 8);
    expect(Array.from(cells)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]);
  });
});

describe('the masks of a local edit, computed once', () => {
  it('crops a 256² box on 512² to 256², not 280² or 320²: the feather is pulled inside the crop', () => {
    const box = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };
    for (const multiple of [8, 64]) {
      const m = editMask({ box }, 512, 512, { feather: 11, factor: 8, multiple })!;
      // The ring (256 + 2·11 = 278 px) would cost 280² (multiple 8) or 320² (multiple 64).
      expect(m.crop).toEqual({ x: 128, y: 128, width: 256, height: 256 });
      expect((m.crop.width * m.crop.height) / 512 ** 2).toBe(0.25);
      // Every crop pixel blends; the blend falls towards the crop's edges over the feather.
      expect(m.support).toEqual(m.crop);
      expect(m.supportPixels).toBe(256 * 256);
      const at = (x: number, y: number) => m.alpha[y * 256 + x] as number;
      expect(at(128, 128)).toBe(1);
      expect(at(0, 128)).toBeCloseTo(1 / 12, 6);
      expect(at(255, 128)).toBeCloseTo(1 / 12, 6);
      expect(at(128, 5)).toBeCloseTo(6 / 12, 6);
      expect(at(0, 0)).toBeCloseTo(1 / 12, 6);
      expect(at(11, 11)).toBe(1);
      // Latent cells: the hard mask covers the whole crop, so every cell is redrawn.
      expect(m.latent.length).toBe(32 * 32);
      expect(m.latent.every((v) => v === 1)).toBe(true);
    }
  });

  it('keeps full weight where the crop meets the image border', () => {
    const m = editMask({ box: { x: 0, y: 0.25, w: 0.5, h: 0.5 } }, 512, 512, {
      feather: 11,
      factor: 8,
      multiple: 64,
    })!;
    expect(m.crop).toEqual({ x: 0, y: 128, width: 256, height: 256 });
    expect(m.alpha[128 * 256 + 0]).toBe(1);
    expect(m.alpha[128 * 256 + 255]).toBeCloseTo(1 / 12, 6);
  });

  it('keeps the feather ring and a latent cell of context when they fit in the same multiple', () => {
    // A 200 px box: the ring (222 px) and the box alone both round up to 256 with multiple 64.
    const box = { x: 156 / 512, y: 156 / 512, w: 200 / 512, h: 200 / 512 };
    const m = editMask({ box }, 512, 512, { feather: 11, factor: 8, multiple: 64 })!;
    expect(m.crop.width).toBe(256);
    expect(m.crop.height).toBe(256);
    const hard = rasterizeMask({ box }, 512, 512);
    const soft = featherMask(hard, 512, 512, 11);
    // The same feather as featherMask over the whole image, cut to the crop.
    expect(Array.from(m.alpha)).toEqual(Array.from(cropPlane(soft, 512, m.crop, (n) => new Float32Array(n))));
    expect(m.supportPixels).toBe(soft.filter((v) => v > 0).length);
    expect(maskBounds(soft, 512, 512)).toEqual(m.support);
    // Latent cells: redrawn under the hard mask, pinned in the ring around it.
    const cropHard = cropPlane(hard, 512, m.crop, (n) => new Uint8Array(n));
    expect(Array.from(m.latent)).toEqual(Array.from(latentMask(cropHard, 256, 256, 8)));
    expect(m.latent[0]).toBe(0);
    expect(m.latent[16 * 32 + 16]).toBe(1);
  });

  it('keeps one latent cell of context when the feather is narrower than a cell, and finds brush strokes', () => {
    const brush = { width: 8, height: 8, data: new Uint8Array(64) };
    brush.data[3 * 8 + 3] = 255; // pixels 24–31 of a 64² image
    const m = editMask({ brush }, 64, 64, { feather: 2, factor: 8, minSide: 8 })!;
    expect(m.support).toEqual({ x: 22, y: 22, width: 12, height: 12 });
    // 12 + 2·(8 − 2) = 24: the ring of pinned cells around the stroke's cell.
    expect(m.crop).toEqual({ x: 16, y: 16, width: 24, height: 24 });
    expect(Array.from(m.latent)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(editMask({}, 64, 64, { feather: 2, factor: 8 })).toBeNull();
  });
});

describe('paste back', () => {
  it('keeps every byte outside the feathered support and blends inside it', () => {
    const w = 16;
    const original = new Uint8ClampedArray(w * w * 4).map((_, i) => (i * 7) % 256);
    const soft = featherMask(rasterizeMask({ box: { x: 0.5, y: 0.5, w: 0.25, h: 0.25 } }, w, w), w, w, 2);
    const crop = { x: 0, y: 0, width: 16, height: 16 };
    const edited = new Uint8ClampedArray(16 * 16 * 4).fill(0);
    const out = pasteBack(original, w, edited, crop, soft);
    for (let i = 0; i < w * w; i++) {
      const m = soft[i]!;
      for (let c = 0; c < 4; c++) {
        const o = original[i * 4 + c]!;
        if (m === 0 || c === 3) expect(out[i * 4 + c]).toBe(o);
        else expect(out[i * 4 + c]).toBe(Math.round(o * (1 - m)));
      }
    }
    expect(out).not.toBe(original);
    const part = { x: 8, y: 8, width: 8, height: 8 };
    expect(cropRgba(original, w, part).length).toBe(8 * 8 * 4);
    expect(cropRgba(original, w, part)[0]).toBe(original[(8 * w + 8) * 4]);
  });

  it('maps 8-bit RGBA to channels-first [-1, 1]', () => {
    const chw = rgbaToChw(Uint8ClampedArray.of(0, 255, 127.5, 255), 1, 1);
    expect(chw[0]).toBe(-1);
    expect(chw[1]).toBe(1);
    expect(chw[2]).toBeCloseTo(128 / 127.5 - 1, 6);
  });
});

describe('reference collage', () => {
  it('crops a template to its figure, fits it into the box on its bottom edge over the scene tint', () => {
    // 10×10 template: white background, a 2×4 red figure at (4..5, 3..6).
    const t = new Uint8ClampedArray(400).fill(255);
    for (let y = 3; y < 7; y++) for (let x = 4; x < 6; x++) t.set([200, 20, 20, 255], (y * 10 + x) * 4);
    expect(figureBounds(t, 10, 10)).toEqual({ x: 4, y: 3, width: 2, height: 4 });
    const tint = sceneTint('night');
    const c = buildCollage(16, 16, tint, [
      { box: { x: 0, y: 0.5, w: 0.5, h: 0.5 }, rgba: t, width: 10, height: 10 },
    ]);
    const px = (x: number, y: number) => Array.from(c.slice((y * 16 + x) * 4, (y * 16 + x) * 4 + 3));
    // Box 8×8 px at the bottom left → the 2:4 figure scaled to 4×8, centred (x 2..5), bottom-aligned.
    expect(px(3, 15)).toEqual([200, 20, 20]);
    expect(px(2, 8)).toEqual([200, 20, 20]);
    expect(px(1, 15)).not.toEqual([200, 20, 20]);
    expect(px(3, 7)).not.toEqual([200, 20, 20]);
    // Around the figure: the tinted canvas (night blue, brighter at the top).
    expect(px(12, 15)[2]!).toBeGreaterThan(px(12, 15)[0]!);
    expect(px(12, 0)[2]!).toBeGreaterThan(px(12, 15)[2]!);
    expect(sceneTint('nowhere')).toEqual([184, 184, 184]);
  });
});
