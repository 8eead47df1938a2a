/**
 * Who is who: detections are matched to cast members by overlap with their planned regions
 * (optionally mixed with appearance), and the count is compared with the cast in the spirit of
 * ViStoryBench's onstage character count matching (OCCM).
 */
import type { RegionBox } from '../domain';
import type { Detection } from './ports';

export function area(b: RegionBox): number {
  return Math.max(0, b.w) * Math.max(0, b.h);
}

export function intersection(a: RegionBox, b: RegionBox): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: RegionBox, b: RegionBox): number {
  const inter = intersection(a, b);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Smallest box holding all the given boxes; null for none. */
export function unionBox(boxes: readonly RegionBox[]): RegionBox | null {
  if (boxes.length === 0) return null;
  if (boxes.length === 1) return boxes[0]!;
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.w));
  const y1 = Math.max(...boxes.map((b) => b.y + b.h));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * Greedy non-maximum suppression across all queries: several queries ("a person", "a fox") often
 * find the same figure, which must count once. Returns detections by descending score.
 */
export function nms(detections: readonly Detection[], iouThreshold: number): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.every((k) => iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  }
  return kept;
}

// ------------------------------------------------------------ assignment

export type AssignMethod = 'hungarian' | 'greedy';

/** Row → column pairs over a score matrix; `null` entries are forbidden pairs. */
export type Assignment = Array<[row: number, col: number]>;

/**
 * Maximum-cardinality, then maximum-total-score assignment (Kuhn–Munkres with potentials,
 * O(n²m)). Forbidden pairs cost more than any set of allowed ones, so the solver first avoids
 * them and they are dropped from the result.
 */
export function hungarian(scores: ReadonlyArray<ReadonlyArray<number | null>>): Assignment {
  const rows = scores.length;
  const cols = rows ? Math.max(...scores.map((r) => r.length)) : 0;
  if (!rows || !cols) return [];
  if (rows > cols) {
    const t = Array.from({ length: cols }, (_, c) => scores.map((r) => r[c] ?? null));
    return hungarian(t).map(([r, c]) => [c, r]);
  }
  const FORBIDDEN = 1e6;
  const cost = (i: number, j: number) => {
    const s = scores[i - 1]?.[j - 1];
    return s === null || s === undefined ? FORBIDDEN : -s;
  };
  const u = new Array<number>(rows + 1).fill(0);
  const v = new Array<number>(cols + 1).fill(0);
  const p = new Array<number>(cols + 1).fill(0);
  const way = new Array<number>(cols + 1).fill(0);
  for (let i = 1; i <= rows; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(cols + 1).fill(Infinity);
    const used = new Array<boolean>(cols + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const cur = cost(i0, j) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  const out: Assignment = [];
  for (let j = 1; j <= cols; j++) {
    const i = p[j]!;
    if (i > 0 && scores[i - 1]?.[j - 1] != null) out.push([i - 1, j - 1]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Greedy by score: take the best remaining allowed pair until none is left. Ties: lower row, then column. */
export function greedy(scores: ReadonlyArray<ReadonlyArray<number | null>>): Assignment {
  const pairs: Array<[number, number, number]> = [];
  scores.forEach((row, r) =>
    row.forEach((s, c) => {
      if (s !== null) pairs.push([r, c, s]);
    }),
  );
  pairs.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1]);
  const rowsUsed = new Set<number>();
  const colsUsed = new Set<number>();
  const out: Assignment = [];
  for (const [r, c] of pairs) {
    if (rowsUsed.has(r) || colsUsed.has(c)) continue;
    rowsUsed.add(r);
    colsUsed.add(c);
    out.push([r, c]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

// --------------------------------------------------------------- matching

export interface MatchOptions {
  /** A pair is allowed only if IoU(region, detection) ≥ minIoU. */
  minIoU: number;
  /** appearance[castIndex][detectionIndex], e.g. best crop-to-template cosine; clamped to [0, 1]. */
  appearance?: ReadonlyArray<ReadonlyArray<number>> | null;
  /** Pair score = (1 − w)·IoU + w·appearance when appearance is given. */
  appearanceWeight?: number;
  method?: AssignMethod;
}

export interface CastMatch {
  characterId: string;
  castIndex: number;
  detectionIndex: number | null;
  detection: Detection | null;
  iou: number;
  appearance: number | null;
  /** The pair score the assignment maximised (0 when unmatched). */
  score: number;
}

export interface MatchResult {
  /** One entry per cast member, in cast order. */
  matches: CastMatch[];
  /** Detections no cast member claimed. */
  extras: Array<{ detectionIndex: number; detection: Detection }>;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

export function matchCast(
  cast: ReadonlyArray<{ characterId: string; region: RegionBox }>,
  detections: readonly Detection[],
  options: MatchOptions,
): MatchResult {
  const w = options.appearance ? clamp01(options.appearanceWeight ?? 0.3) : 0;
  const overlaps = cast.map((m) => detections.map((d) => iou(m.region, d.box)));
  const appearanceOf = (c: number, d: number) => {
    const a = options.appearance?.[c]?.[d];
    return a === undefined ? null : clamp01(a);
  };
  const scores = cast.map((_, c) =>
    detections.map((_, d) => {
      const o = overlaps[c]![d]!;
      if (o < options.minIoU || o === 0) return null;
      return (1 - w) * o + w * (appearanceOf(c, d) ?? 0);
    }),
  );
  const pairs = (options.method ?? 'hungarian') === 'hungarian' ? hungarian(scores) : greedy(scores);
  const byCast = new Map(pairs);
  const claimed = new Set(pairs.map(([, d]) => d));
  const matches = cast.map((m, c): CastMatch => {
    const d = byCast.get(c);
    if (d === undefined) {
      return {
        characterId: m.characterId,
        castIndex: c,
        detectionIndex: null,
        detection: null,
        iou: 0,
        appearance: null,
        score: 0,
      };
    }
    return {
      characterId: m.characterId,
      castIndex: c,
      detectionIndex: d,
      detection: detections[d]!,
      iou: overlaps[c]![d]!,
      appearance: appearanceOf(c, d),
      score: scores[c]![d]!,
    };
  });
  const extras = detections.flatMap((detection, detectionIndex) =>
    claimed.has(detectionIndex) ? [] : [{ detectionIndex, detection }],
  );
  return { matches, extras };
}

/** ViStoryBench OCCM for one panel: exp(−|detected − expected| / (ε + expected)), in (0, 1]. */
export function occm(expected: number, detected: number): number {
  return Math.exp(-Math.abs(detected - expected) / (1e-6 + expected));
}

export interface CountResult {
  expected: number;
  detected: number;
  score: number;
  missing: number;
  extra: number;
}

export function countCheck(
  expected: number,
  detections: readonly Detection[],
  minScore: number,
): CountResult {
  const detected = detections.filter((d) => d.score >= minScore).length;
  return {
    expected,
    detected,
    score: occm(expected, detected),
    missing: Math.max(0, expected - detected),
    extra: Math.max(0, detected - expected),
  };
}
