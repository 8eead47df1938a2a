import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICIES,
  checkKeyOf,
  chiSquare,
  clampBox,
  colorHistogram,
  consistency,
  copyPaste,
  cosine,
  crop,
  histogramIntersection,
  pixelSimilarity,
  resolveThresholds,
  softmax,
  validateThresholdOverrides,
  wardrobeSimilarity,
  zeroShot,
  checkPhrases,
} from '../../src/lib/judge';
import type { ImageLike } from '../../src/lib/judge';
import { POSES } from '../../src/lib/domain';

const f32 = (...v: number[]) => Float32Array.from(v);

function solid(width: number, height: number, rgb: [number, number, number]): ImageLike {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
}

describe('cosine and consistency', () => {
  it.each([
    [[1, 0], [1, 0], 1],
    [[1, 0], [0, 1], 0],
    [[1, 0], [-1, 0], -1],
    [[3, 4], [4, 3], 24 / 25],
    [[0, 0], [1, 0], 0],
  ])('cosine(%j, %j) = %d', (a, b, expected) => {
    expect(cosine(a, b)).toBeCloseTo(expected, 10);
  });

  it('refuses embeddings of different lengths', () => {
    expect(() => cosine([1, 2], [1, 2, 3])).toThrow(/same length.*2 and 3/);
  });

  it('aggregates over references by max or mean (CIDS cross / self)', () => {
    const q = f32(1, 0);
    const refs = [f32(1, 0), f32(0, 1), f32(1, 1)];
    const max = consistency(q, refs, 'max')!;
    const mean = consistency(q, refs, 'mean')!;
    expect(max.score).toBeCloseTo(1);
    expect(max.bestIndex).toBe(0);
    expect(mean.score).toBeCloseTo((1 + 0 + Math.SQRT1_2) / 3);
    expect(consistency(q, [], 'max')).toBeNull();
  });
});

describe('colour histograms (wardrobe)', () => {
  it('builds a normalised joint RGB histogram of a box', () => {
    const img = solid(4, 4, [255, 0, 0]);
    // paint the right half blue
    for (let y = 0; y < 4; y++) for (let x = 2; x < 4; x++) img.data.set([0, 0, 255, 255], (y * 4 + x) * 4);
    const h = colorHistogram(img, { x: 0, y: 0, w: 1, h: 1 }, 2);
    expect(h.length).toBe(8);
    expect(h[(1 * 2 + 0) * 2 + 0]).toBeCloseTo(0.5); // red
    expect(h[(0 * 2 + 0) * 2 + 1]).toBeCloseTo(0.5); // blue
    const left = colorHistogram(img, { x: 0, y: 0, w: 0.5, h: 1 }, 2);
    expect(left[4]).toBeCloseTo(1);
  });

  it('ignores transparent pixels and rejects silly bin counts', () => {
    const img = solid(2, 1, [0, 255, 0]);
    img.data[3] = 0;
    const h = colorHistogram(img, { x: 0, y: 0, w: 1, h: 1 }, 4);
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(() => colorHistogram(img, { x: 0, y: 0, w: 1, h: 1 }, 0)).toThrow(/bins/);
  });

  it.each([
    [[0.5, 0.5, 0], [0.5, 0.5, 0], 1, 0],
    [[1, 0, 0], [0, 1, 0], 0, 1],
    [[0.5, 0.5, 0], [0.5, 0, 0.5], 0.5, 0.5],
  ])('intersection and chi-square of %j and %j', (a, b, inter, chi) => {
    expect(histogramIntersection(a, b)).toBeCloseTo(inter);
    expect(chiSquare(a, b)).toBeCloseTo(chi);
  });

  it('wardrobe similarity takes the best template and checks bin counts', () => {
    expect(
      wardrobeSimilarity(
        [1, 0],
        [
          [0, 1],
          [0.75, 0.25],
        ],
      ),
    ).toEqual({ score: 0.75, bestIndex: 1 });
    expect(wardrobeSimilarity([1, 0], [])).toBeNull();
    expect(() => histogramIntersection([1, 0], [1, 0, 0])).toThrow(/same number of bins/);
  });
});

describe('pixels and copy-paste', () => {
  it('crops a normalised box to whole pixels', () => {
    const img = solid(10, 10, [0, 0, 0]);
    img.data.set([9, 9, 9, 255], (2 * 10 + 3) * 4);
    const c = crop(img, { x: 0.3, y: 0.2, w: 0.2, h: 0.5 });
    expect([c.width, c.height]).toEqual([2, 5]);
    expect(Array.from(c.data.slice(0, 4))).toEqual([9, 9, 9, 255]);
    expect(clampBox({ x: -0.2, y: 0.5, w: 0.5, h: 0.8 })).toEqual({ x: 0, y: 0.5, w: 0.3, h: 0.5 });
    expect(clampBox({ x: 1.2, y: 0, w: 0.1, h: 0.1 })).toBeNull();
  });

  it('pixel similarity is 1 for the same picture at another size and 0 for black vs white', () => {
    expect(pixelSimilarity(solid(64, 64, [10, 200, 30]), solid(32, 48, [10, 200, 30]))).toBeCloseTo(1);
    expect(pixelSimilarity(solid(8, 8, [0, 0, 0]), solid(8, 8, [255, 255, 255]))).toBeCloseTo(0);
  });

  it.each([
    // cosine, pixels equal?, pixels supplied?, isCopy
    [1, true, true, true],
    [1, false, true, false],
    [0.9, true, true, false],
    [0.99, true, false, true],
  ])('cosine %d, same pixels %s, pixels given %s → copy %s', (cos, samePixels, withPixels, isCopy) => {
    const t = f32(1, 0);
    const e = f32(cos, Math.sqrt(1 - cos * cos));
    const red = solid(8, 8, [255, 0, 0]);
    const other = samePixels ? red : solid(8, 8, [0, 0, 255]);
    const r = copyPaste(
      { embedding: e, image: withPixels ? other : null },
      [{ embedding: t, image: withPixels ? red : null }],
      0.98,
      0.95,
    )!;
    expect(r.isCopy).toBe(isCopy);
    expect(r.cosine).toBeCloseTo(cos);
    expect(r.pixel === null).toBe(!withPixels);
  });
});

describe('zero-shot scoring', () => {
  it('softmax is a distribution and stable for large logits', () => {
    const p = softmax([1000, 1000, 0]);
    expect(p[0]).toBeCloseTo(0.5);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
  });

  // Text embeddings: three unit vectors; the image sits between term 0 and term 1.
  const texts = [f32(1, 0, 0), f32(0, 1, 0), f32(0, 0, 1)];
  const image = f32(0.8, 0.6, 0);
  it.each([
    // requested, topK, minProbability, rank, passed
    [0, 1, 0, 1, true],
    [1, 1, 0, 2, false],
    [1, 2, 0, 2, true],
    [2, 2, 0, 3, false],
    [0, 1, 0.9999999999, 1, false],
  ])('term %d with top-%d (min p %d) → rank %d, passed %s', (requested, topK, minP, rank, passed) => {
    const z = zeroShot(image, texts, requested, { logitScale: 100, topK, minProbability: minP });
    expect(z.rank).toBe(rank);
    expect(z.passed).toBe(passed);
    // passed ⇔ score ≥ threshold, the invariant every check keeps
    expect(z.probability >= z.threshold).toBe(passed);
    expect(z.topIndex).toBe(0);
  });

  it('uses the logit scale: probability of the top term is softmax(100·cos)', () => {
    const z = zeroShot(image, texts, 0, { logitScale: 100, topK: 1, minProbability: 0 });
    const expected = 1 / (1 + Math.exp(-20) + Math.exp(-80));
    expect(z.probability).toBeCloseTo(expected, 8);
    const soft = zeroShot(image, texts, 0, { logitScale: 1, topK: 1, minProbability: 0 });
    expect(soft.probability).toBeLessThan(0.5);
  });

  it('rejects an index outside the vocabulary and reads check phrases', () => {
    expect(() => zeroShot(image, texts, 3, { logitScale: 100, topK: 1, minProbability: 0 })).toThrow(
      /3 vocabulary/,
    );
    expect(checkPhrases(POSES)[0]).toBe('a person standing');
    expect(checkPhrases(POSES)).toHaveLength(POSES.length);
  });
});

describe('thresholds', () => {
  it('has defaults with hard/soft flags and weights', () => {
    const t = resolveThresholds();
    expect(t.checks.identity).toMatchObject({ threshold: 0.78, hard: true, weight: 3 });
    expect(t.checks.wardrobe.hard).toBe(false);
    expect(t.checks['copy-paste'].higherIsBetter).toBe(false);
    expect(t.topK.pose).toBe(3);
    expect(t.params['zeroShot.logitScale']).toBe(100);
  });

  it('merges settings.thresholds, ignoring unknown keys and invalid values', () => {
    const t = resolveThresholds({
      identity: 0.85,
      'wardrobe.hard': 1,
      'pose.topK': 1,
      'scene.weight': 4,
      'copy-paste.pixel': 0.9,
      'pose.topK.extra': 7,
      'expression.topK': 1.5,
      count: 7,
      unknown: 3,
    });
    expect(t.checks.identity.threshold).toBe(0.85);
    expect(t.checks.wardrobe.hard).toBe(true);
    expect(t.topK.pose).toBe(1);
    expect(t.checks.scene.weight).toBe(4);
    expect(t.params['copy-paste.pixel']).toBe(0.9);
    expect(t.topK.expression).toBe(3);
    expect(t.checks.count.threshold).toBe(DEFAULT_POLICIES.count.threshold);
  });

  it('explains invalid values in sentences', () => {
    expect(
      validateThresholdOverrides({ 'pose.topK': 0, 'identity.hard': 2, count: Number.NaN, fine: 1 }),
    ).toEqual([
      'Threshold "pose.topK" must be a whole number of at least 1, got 0.',
      'Threshold "identity.hard" must be 0 (soft) or 1 (hard), got 2.',
      'Threshold "count" must be a finite number, got NaN.',
    ]);
    expect(validateThresholdOverrides({ identity: 0.8, 'identity.self.aggregate': 0 })).toEqual([]);
  });

  it.each([
    ['identity@mira', 'identity'],
    ['identity.self@mira', 'identity.self'],
    ['composition#shotSize', 'composition'],
    ['cast.extra#2', 'cast.extra'],
    ['count', 'count'],
  ])('check id %s has key %s', (id, key) => {
    expect(checkKeyOf(id)).toBe(key);
  });
});
