/**
 * Zero-shot classification over a closed vocabulary with a CLIP-like encoder: the image
 * embedding against the text embeddings of every term's `check` phrase, softmax(logitScale ·
 * cosine) as CLIP does, and the rank of the requested term.
 */
import { StoryLoomError } from '../domain';
import type { Term } from '../domain';
import { cosine } from './similarity';

/** The phrases the judge classifies against: each term's `check` field, in vocabulary order. */
export const checkPhrases = (terms: readonly Term[]): string[] => terms.map((t) => t.check);

export function softmax(logits: readonly number[]): number[] {
  if (logits.length === 0) return [];
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export interface ZeroShotOptions {
  /** CLIP's learned logit scale is 100. */
  logitScale: number;
  topK: number;
  /** The requested term must also reach this probability (0 = rank alone decides). */
  minProbability: number;
}

export interface ZeroShotResult {
  probabilities: number[];
  /** 1-based: 1 + the number of terms strictly more probable than the requested one. */
  rank: number;
  /** The score: probability of the requested term. */
  probability: number;
  /** The most probable term. */
  topIndex: number;
  /** max(probability of the k-th ranked term, minProbability): passed ⇔ probability ≥ threshold. */
  threshold: number;
  passed: boolean;
}

export function zeroShot(
  image: ArrayLike<number>,
  texts: readonly ArrayLike<number>[],
  requestedIndex: number,
  options: ZeroShotOptions,
): ZeroShotResult {
  if (requestedIndex < 0 || requestedIndex >= texts.length) {
    throw new StoryLoomError(
      'invalid-input',
      `The requested term must be one of the ${texts.length} vocabulary entries, got index ${requestedIndex}.`,
    );
  }
  const k = Math.max(1, Math.min(Math.floor(options.topK), texts.length));
  const probabilities = softmax(texts.map((t) => options.logitScale * cosine(image, t)));
  const probability = probabilities[requestedIndex]!;
  const rank = 1 + probabilities.filter((p) => p > probability).length;
  const sorted = [...probabilities].sort((a, b) => b - a);
  const threshold = Math.max(sorted[k - 1]!, options.minProbability);
  const topIndex = probabilities.indexOf(sorted[0]!);
  return {
    probabilities,
    rank,
    probability,
    topIndex,
    threshold,
    passed: rank <= k && probability >= options.minProbability,
  };
}
