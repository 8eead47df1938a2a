import { describe, expect, it } from 'vitest';
import { countCheck, greedy, hungarian, iou, matchCast, nms, occm, unionBox } from '../../src/lib/judge';
import type { Detection } from '../../src/lib/judge';
import type { RegionBox } from '../../src/lib/domain';

const box = (x: number, y: number, w: number, h: number): RegionBox => ({ x, y, w, h });
const det = (b: RegionBox, score = 0.9, queryIndex = 0): Detection => ({ box: b, score, queryIndex });

describe('box overlap', () => {
  it.each([
    [box(0, 0, 0.5, 0.5), box(0, 0, 0.5, 0.5), 1],
    [box(0, 0, 0.5, 0.5), box(0.5, 0.5, 0.5, 0.5), 0],
    [box(0, 0, 0.5, 1), box(0.25, 0, 0.5, 1), 1 / 3],
    [box(0, 0, 1, 1), box(0.25, 0.25, 0.5, 0.5), 0.25],
  ])('iou(%j, %j) = %d', (a, b, expected) => {
    expect(iou(a, b)).toBeCloseTo(expected);
  });

  it('union box spans all boxes', () => {
    expect(unionBox([box(0.1, 0.2, 0.1, 0.1), box(0.5, 0.1, 0.2, 0.3)])).toEqual({
      x: 0.1,
      y: 0.1,
      w: 0.6,
      h: 0.30000000000000004,
    });
    expect(unionBox([])).toBeNull();
  });

  it('non-maximum suppression keeps one detection per figure across queries', () => {
    const kept = nms(
      [
        det(box(0, 0, 0.4, 0.8), 0.5, 0),
        det(box(0.02, 0, 0.4, 0.8), 0.7, 1),
        det(box(0.6, 0, 0.3, 0.8), 0.4, 0),
      ],
      0.5,
    );
    expect(kept.map((d) => d.score)).toEqual([0.7, 0.4]);
  });
});

describe('assignment', () => {
  // Greedy takes 0.9 first and strands row 1; the optimum matches both rows.
  const scores = [
    [0.9, 0.8],
    [0.85, null],
  ];
  it('hungarian maximises the number of matches, then the total score', () => {
    expect(hungarian(scores)).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
  it('greedy takes the best pair first', () => {
    expect(greedy(scores)).toEqual([[0, 0]]);
  });
  it('handles more rows than columns and forbidden-only rows', () => {
    expect(hungarian([[0.2], [0.7], [null]])).toEqual([[1, 0]]);
    expect(hungarian([[null, null]])).toEqual([]);
    expect(hungarian([])).toEqual([]);
  });
  it('agrees with brute force on a 3×4 table', () => {
    const s = [
      [0.1, 0.5, 0.3, null],
      [0.6, 0.6, null, 0.2],
      [0.4, null, 0.9, 0.8],
    ];
    const total = (a: Array<[number, number]>) => a.reduce((sum, [r, c]) => sum + (s[r]![c] ?? 0), 0);
    expect(total(hungarian(s))).toBeCloseTo(0.5 + 0.6 + 0.9);
  });
});

describe('matching detections to the cast', () => {
  const cast = [
    { characterId: 'mira', region: box(0, 0.1, 0.5, 0.9) },
    { characterId: 'tomas', region: box(0.5, 0.1, 0.5, 0.9) },
  ];

  it('matches by region overlap and reports extras', () => {
    const dets = [
      det(box(0.6, 0.2, 0.3, 0.7)),
      det(box(0.1, 0.2, 0.3, 0.7)),
      det(box(0.45, 0, 0.1, 0.1), 0.3),
    ];
    const r = matchCast(cast, dets, { minIoU: 0.1 });
    expect(r.matches.map((m) => m.detectionIndex)).toEqual([1, 0]);
    expect(r.matches[0]!.iou).toBeCloseTo(0.21 / 0.45);
    expect(r.extras.map((x) => x.detectionIndex)).toEqual([2]);
  });

  it('leaves a member unmatched when nothing overlaps enough', () => {
    const r = matchCast(cast, [det(box(0.05, 0.1, 0.4, 0.8))], { minIoU: 0.1 });
    expect(r.matches[0]!.detectionIndex).toBe(0);
    expect(r.matches[1]).toMatchObject({ characterId: 'tomas', detection: null, score: 0 });
    const strict = matchCast(cast, [det(box(0.05, 0.1, 0.4, 0.8))], { minIoU: 0.9 });
    expect(strict.matches.every((m) => m.detection === null)).toBe(true);
    expect(strict.extras).toHaveLength(1);
  });

  it('appearance breaks a tie between two figures in overlapping regions', () => {
    const both = [
      { characterId: 'mira', region: box(0, 0, 1, 1) },
      { characterId: 'tomas', region: box(0, 0, 1, 1) },
    ];
    const dets = [det(box(0, 0, 0.5, 1)), det(box(0.5, 0, 0.5, 1))];
    const byOverlap = matchCast(both, dets, { minIoU: 0.1 });
    expect(byOverlap.matches.map((m) => m.detectionIndex)).toEqual([0, 1]);
    const byLook = matchCast(both, dets, {
      minIoU: 0.1,
      appearance: [
        [0.2, 0.9],
        [0.9, 0.2],
      ],
      appearanceWeight: 0.5,
    });
    expect(byLook.matches.map((m) => m.detectionIndex)).toEqual([1, 0]);
    expect(byLook.matches[0]!.score).toBeCloseTo(0.5 * 0.5 + 0.5 * 0.9);
  });
});

describe('count (OCCM)', () => {
  it.each([
    [2, 2, 1],
    [2, 1, Math.exp(-0.5)],
    [2, 3, Math.exp(-0.5)],
    [1, 0, Math.exp(-1)],
    [3, 1, Math.exp(-2 / 3)],
  ])('expected %d, detected %d → %d', (expected, detected, score) => {
    expect(occm(expected, detected)).toBeCloseTo(score, 5);
  });

  it('counts only detections above the score threshold', () => {
    const r = countCheck(
      2,
      [det(box(0, 0, 0.1, 0.1), 0.5), det(box(0, 0, 0.1, 0.1), 0.05), det(box(0, 0, 0.1, 0.1), 0.3)],
      0.1,
    );
    expect(r).toMatchObject({ expected: 2, detected: 2, missing: 0, extra: 0 });
    expect(r.score).toBe(1);
    expect(countCheck(0, [det(box(0, 0, 0.1, 0.1))], 0.1).score).toBeLessThan(1e-6);
  });
});
