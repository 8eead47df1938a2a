/** Judge reports for the report-view tests: a twin-like panel with many extra figures. */
import type { JudgeCheck, JudgeReport, RegionBox } from '../../src/lib/domain';

export const NAMES: Record<string, string> = { m: 'Mira', b: 'Bo' };
export const nameOf = (id: string) => NAMES[id] ?? id;

export function check(id: string, over: Partial<JudgeCheck> = {}): JudgeCheck {
  const [family, characterId] = id.split('@');
  const kind = (
    family!.split(/[.#]/)[0] === 'identity' ? 'identity' : family!.split(/[.#]/)[0]
  ) as JudgeCheck['kind'];
  return {
    id,
    kind,
    label: id,
    characterId: characterId ?? null,
    score: 0.8,
    threshold: 0.5,
    passed: true,
    hard: false,
    box: null,
    detail: '',
    ...over,
  };
}

export function report(checks: JudgeCheck[], verdict?: 'pass' | 'fail'): JudgeReport {
  return {
    checks,
    verdict: verdict ?? (checks.every((c) => !c.hard || c.passed) ? 'pass' : 'fail'),
    weightedScore: 0.61,
    judgedAt: 1,
    artistDecision: null,
  };
}

/** `n` extra figures spread over the top left third: all within x, y < 1/3. */
export function extras(n: number): JudgeCheck[] {
  return Array.from({ length: n }, (_, i) => {
    const box: RegionBox = { x: 0.01 + (i % 10) * 0.01, y: 0.02 + Math.floor(i / 10) * 0.01, w: 0.1, h: 0.1 };
    return check(`cast.extra#${i}`, {
      kind: 'cast',
      label: 'Extra character in the picture',
      characterId: null,
      score: 0,
      passed: false,
      box,
      detail:
        'A figure (detector 0.40) that no cast member accounts for; the count check decides the verdict.',
    });
  });
}

const mBox = { x: 0.05, y: 0.3, w: 0.3, h: 0.6 };
const bBox = { x: 0.6, y: 0.3, w: 0.3, h: 0.6 };

/** Mira and Bo: both found, Mira's identity fails (hard), plus `extraCount` extras and a failed count. */
export function twinReport(extraCount = 100): JudgeReport {
  return report([
    check('cast@m', { label: 'Mira is in the picture', box: mBox, hard: true }),
    check('cast@b', { label: 'Bo is in the picture', box: bBox, hard: true }),
    ...extras(extraCount),
    check('count', {
      label: '2 characters in the picture',
      hard: true,
      passed: false,
      score: 0.1,
      box: { x: 0, y: 0, w: 0.3, h: 0.3 },
      detail: `Expected 2, found ${2 + extraCount} (${extraCount} extra).`,
    }),
    check('identity@m', {
      label: 'Mira matches the verified template',
      hard: true,
      passed: false,
      score: 0.41,
      threshold: 0.62,
      box: mBox,
      detail: 'Similarity 0.41 to 2 template(s), needs 0.62.',
    }),
    check('identity@b', {
      label: 'Bo matches the verified template',
      hard: true,
      score: 0.77,
      threshold: 0.62,
      box: bBox,
    }),
    check('identity.self@m', {
      kind: 'identity',
      label: 'Mira matches earlier panels',
      box: mBox,
      detail: 'not run: no earlier accepted panel with Mira',
      score: 0,
    }),
    check('pose@m', { kind: 'pose', label: "Mira's pose: standing", box: mBox }),
    check('pose@b', { kind: 'pose', label: "Bo's pose: sitting", box: bBox, passed: false, score: 0.1 }),
    check('expression@m', { kind: 'expression', label: "Mira's expression: happy", box: mBox }),
    check('expression@b', { kind: 'expression', label: "Bo's expression: sad", box: bBox }),
    check('scene', { label: 'Scene: the harbour wall, at dusk' }),
    check('composition#shotSize', { kind: 'composition', label: 'Shot size: wide shot' }),
  ]);
}
