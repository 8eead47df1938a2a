/**
 * Similarity measures: embeddings (cosine, CIDS-like cross and self consistency), colour
 * histograms (wardrobe) and the copy-paste test.
 */
import { StoryLoomError } from '../domain';
import { thumbnail } from './ports';
import type { ImageLike } from './ports';

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new StoryLoomError(
      'invalid-input',
      `Embeddings must have the same length to be compared, got ${a.length} and ${b.length}.`,
    );
  }
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  // A zero vector is similar to nothing (rather than NaN poisoning every score after it).
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

export type Aggregate = 'max' | 'mean';

export interface Consistency {
  /** Aggregated cosine. */
  score: number;
  /** Index of the most similar reference (also reported for 'mean'). */
  bestIndex: number;
  /** Cosine to every reference, in order. */
  similarities: number[];
}

/** Cosine of one embedding against a set of references, aggregated; null when there are none. */
export function consistency(
  query: ArrayLike<number>,
  references: readonly ArrayLike<number>[],
  aggregate: Aggregate,
): Consistency | null {
  if (references.length === 0) return null;
  const similarities = references.map((r) => cosine(query, r));
  let bestIndex = 0;
  similarities.forEach((s, i) => {
    if (s > (similarities[bestIndex] ?? -Infinity)) bestIndex = i;
  });
  const score =
    aggregate === 'max'
      ? (similarities[bestIndex] ?? 0)
      : similarities.reduce((sum, s) => sum + s, 0) / similarities.length;
  return { score, bestIndex, similarities };
}

/** CIDS cross consistency: the crop against the character's verified templates. */
export const crossConsistency = (
  crop: ArrayLike<number>,
  templates: readonly ArrayLike<number>[],
  aggregate: Aggregate = 'max',
) => consistency(crop, templates, aggregate);

/** CIDS self consistency: the crop against the same character in earlier accepted panels. */
export const selfConsistency = (
  crop: ArrayLike<number>,
  earlier: readonly ArrayLike<number>[],
  aggregate: Aggregate = 'mean',
) => consistency(crop, earlier, aggregate);

function assertSameBins(a: ArrayLike<number>, b: ArrayLike<number>) {
  if (a.length !== b.length) {
    throw new StoryLoomError(
      'invalid-input',
      `Colour histograms must have the same number of bins, got ${a.length} and ${b.length}.`,
    );
  }
}

/** Σ min(aᵢ, bᵢ) of two normalised histograms: 1 = same colours, 0 = disjoint. */
export function histogramIntersection(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameBins(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.min(a[i] ?? 0, b[i] ?? 0);
  return sum;
}

/** Symmetric chi-square distance ½ Σ (aᵢ − bᵢ)² / (aᵢ + bᵢ) of normalised histograms, in [0, 1]. */
export function chiSquare(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameBins(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x + y > 0) sum += ((x - y) * (x - y)) / (x + y);
  }
  return sum / 2;
}

/** Wardrobe similarity: best histogram intersection over the templates' clothing regions. */
export function wardrobeSimilarity(
  crop: ArrayLike<number>,
  templates: readonly ArrayLike<number>[],
): { score: number; bestIndex: number } | null {
  if (templates.length === 0) return null;
  let best = { score: -Infinity, bestIndex: 0 };
  templates.forEach((t, i) => {
    const s = histogramIntersection(crop, t);
    if (s > best.score) best = { score: s, bestIndex: i };
  });
  return best;
}

/** 1 − mean |Δ| / 255 over RGB of 32×32 area-averaged thumbnails (aspect ratio ignored). */
export function pixelSimilarity(a: ImageLike, b: ImageLike, size = 32): number {
  const ta = thumbnail(a, size);
  const tb = thumbnail(b, size);
  let diff = 0;
  for (let i = 0; i < ta.length; i++) diff += Math.abs((ta[i] ?? 0) - (tb[i] ?? 0));
  return 1 - diff / (ta.length * 255);
}

export interface CopyPasteResult {
  /** Highest cosine between the candidate and any reference. */
  cosine: number;
  /** Pixel similarity to that reference, or null when its pixels were not supplied. */
  pixel: number | null;
  referenceIndex: number;
  isCopy: boolean;
}

/**
 * A paste is near-identical in both senses: cosine ≥ cosineThreshold AND pixel similarity ≥
 * pixelThreshold. When the reference pixels are unavailable the cosine alone decides.
 */
export function copyPaste(
  candidate: { embedding: ArrayLike<number>; image?: ImageLike | null },
  references: readonly { embedding: ArrayLike<number>; image?: ImageLike | null }[],
  cosineThreshold: number,
  pixelThreshold: number,
): CopyPasteResult | null {
  if (references.length === 0) return null;
  let best = { cosine: -Infinity, referenceIndex: 0 };
  references.forEach((r, i) => {
    const c = cosine(candidate.embedding, r.embedding);
    if (c > best.cosine) best = { cosine: c, referenceIndex: i };
  });
  const ref = references[best.referenceIndex];
  const pixel = candidate.image && ref?.image ? pixelSimilarity(candidate.image, ref.image) : null;
  const isCopy = best.cosine >= cosineThreshold && (pixel === null || pixel >= pixelThreshold);
  return { ...best, pixel, isCopy };
}
