import { describe, expect, it } from 'vitest';
import {
  NOT_RUN,
  applyProposals,
  assembleReport,
  bestAttempt,
  calibrate,
  midpoints,
  resolveThresholds,
  samplesFromReports,
  verdictOf,
  weightedScore,
} from '../../src/lib/judge';
import type { CalibrationSample, Decision } from '../../src/lib/judge';
import { JudgeReport } from '../../src/lib/domain';
import type { JudgeCheck } from '../../src/lib/domain';

function check(
  id: string,
  kind: JudgeCheck['kind'],
  score: number,
  passed: boolean,
  hard: boolean,
  extra: Partial<JudgeCheck> = {},
): JudgeCheck {
  return {
    id,
    kind,
    label: id,
    characterId: null,
    score,
    threshold: 0.5,
    passed,
    hard,
    box: null,
    detail: '',
    ...extra,
  };
}

describe('verdict', () => {
  it.each([
    ['all pass', [true, true], [true, false], 'pass'],
    ['soft failure only', [true, false], [true, false], 'pass'],
    ['hard failure', [false, true], [true, false], 'fail'],
    ['no checks', [], [], 'pass'],
  ] as const)('%s → %s', (_name, passed, hard, verdict) => {
    const checks = passed.map((p, i) => check(`c${i}`, 'scene', 0.5, p, hard[i]!));
    expect(verdictOf(checks)).toBe(verdict);
  });
});

describe('weightedScore', () => {
  const t = resolveThresholds();
  it('is Σ w·(½·passed + ½·score) / Σ w over checks that ran', () => {
    const checks = [
      check('identity@mira', 'identity', 0.9, true, true), // w 3 → 3·(0.5 + 0.45) = 2.85
      check('pose@mira', 'pose', 0.2, false, true), // w 1.5 → 1.5·(0 + 0.1) = 0.15
      check('scene', 'scene', 0.3, true, false, { detail: `${NOT_RUN}no text encoder` }), // skipped
    ];
    expect(weightedScore(checks, t)).toBeCloseTo((2.85 + 0.15) / 4.5);
  });

  it('counts a lower copy-paste similarity as better', () => {
    const pasted = weightedScore([check('copy-paste@mira', 'copy-paste', 0.99, false, true)], t);
    const drawn = weightedScore([check('copy-paste@mira', 'copy-paste', 0.7, true, true)], t);
    expect(pasted).toBeCloseTo(0.5 * 0.01);
    expect(drawn).toBeCloseTo(0.5 + 0.5 * 0.3);
  });

  it('is 0 when nothing ran, and honours weights from settings', () => {
    expect(weightedScore([check('scene', 'scene', 1, true, false, { detail: `${NOT_RUN}x` })], t)).toBe(0);
    const heavy = resolveThresholds({ 'scene.weight': 0 });
    const checks = [check('scene', 'scene', 0, false, false), check('identity@a', 'identity', 1, true, true)];
    expect(weightedScore(checks, heavy)).toBeCloseTo(1);
  });

  it('assembles a report that satisfies the domain schema', () => {
    const report = assembleReport([check('identity@mira', 'identity', 0.9, true, true)], {
      judgedAt: 1234.7,
    });
    expect(JudgeReport.parse(report)).toEqual(report);
    expect(report).toMatchObject({ verdict: 'pass', judgedAt: 1234, artistDecision: null });
  });
});

describe('bestAttempt', () => {
  const report = (verdict: 'pass' | 'fail', weighted: number, hardFails = 0): JudgeReport => ({
    checks: Array.from({ length: hardFails }, (_, i) => check(`h${i}`, 'identity', 0, false, true)),
    verdict,
    weightedScore: weighted,
    judgedAt: 0,
    artistDecision: null,
  });

  it('prefers passing, then fewer hard failures, then the higher weighted score, then the earlier attempt', () => {
    const attempts = [
      { n: 0, report: report('fail', 0.95, 1) },
      { n: 1, report: report('pass', 0.6) },
      { n: 2, report: null },
      { n: 3, report: report('pass', 0.7) },
      { n: 4, report: report('pass', 0.7) },
    ];
    expect(bestAttempt(attempts)!.n).toBe(3);
    expect(bestAttempt(attempts.filter((a) => a.report?.verdict !== 'pass'))!.n).toBe(0);
    const fails = [
      { n: 0, report: report('fail', 0.9, 2) },
      { n: 1, report: report('fail', 0.4, 1) },
    ];
    expect(bestAttempt(fails)!.n).toBe(1);
    expect(bestAttempt([{ report: null }])).toEqual({ report: null });
    expect(bestAttempt([])).toBeNull();
  });
});

describe('calibration', () => {
  const t = resolveThresholds({ identity: 0.9 });
  const sample = (
    score: number,
    decision: Decision,
    key = 'identity',
    kind: JudgeCheck['kind'] = 'identity',
  ): CalibrationSample => ({
    report: {
      checks: [check(`${key}@c`, kind, score, score >= t.checks.identity.threshold, true)],
      verdict: 'pass',
      weightedScore: 0,
      judgedAt: 0,
      artistDecision: { decision, at: 1 },
    },
    decision,
  });
  const kept = [0.85, 0.9, 0.82, 0.88, 0.8, 0.86];
  const rejected = [0.6, 0.7, 0.65, 0.72, 0.68, 0.75];
  const samples = [...kept.map((s) => sample(s, 'accept')), ...rejected.map((s) => sample(s, 'reject'))];

  it('proposes the midpoint that best separates kept from rejected panels', () => {
    const [p] = calibrate(samples, t);
    expect(p).toMatchObject({
      key: 'identity',
      status: 'propose',
      current: 0.9,
      proposed: 0.775,
      decisions: 12,
      kept: 6,
      rejected: 6,
    });
    // before: at 0.9 only one kept panel passes → TPR 1/6, TNR 1 → 7/12
    expect(p!.before.balancedAccuracy).toBeCloseTo(7 / 12);
    expect(p!.before.falseFail).toBe(5);
    expect(p!.after!.balancedAccuracy).toBe(1);
    expect(p!.reason).toContain('58% to 100%');
  });

  it('counts overrides as kept panels', () => {
    const withOverride = samples.map((s, i) => (i === 0 ? { ...s, decision: 'override' as const } : s));
    expect(calibrate(withOverride, t)[0]!.kept).toBe(6);
  });

  it('needs enough decisions of both kinds', () => {
    const few = calibrate(samples.slice(0, 8), t)[0]!;
    expect(few.status).toBe('insufficient');
    expect(few.proposed).toBeNull();
    expect(few.reason).toMatch(/at least 12 decided panels.*has 8 panels, 6 kept and 2 rejected/);
    expect(calibrate(samples, t, { minDecisions: 4, minPerClass: 2 })[0]!.status).toBe('propose');
  });

  it('keeps the current threshold when it already separates best', () => {
    const good = resolveThresholds({ identity: 0.775 });
    const [p] = calibrate(samples, good);
    expect(p).toMatchObject({ status: 'keep', proposed: null });
    expect(p!.before.balancedAccuracy).toBe(1);
  });

  it('calibrates copy-paste in the lower-is-better direction', () => {
    const cp = [
      ...[0.8, 0.85, 0.9, 0.91, 0.92, 0.93].map((s) => sample(s, 'accept', 'copy-paste', 'copy-paste')),
      ...[0.95, 0.96, 0.97, 0.99, 0.995, 0.999].map((s) => sample(s, 'reject', 'copy-paste', 'copy-paste')),
    ];
    const p = calibrate(cp, resolveThresholds()).find((x) => x.key === 'copy-paste')!;
    expect(p.proposed).toBeCloseTo(0.94);
    expect(p.after!.balancedAccuracy).toBe(1);
  });

  it('ignores skipped checks and reports without a decision', () => {
    const skipped = samples.map((s) => ({
      ...s,
      report: { ...s.report, checks: s.report.checks.map((c) => ({ ...c, detail: `${NOT_RUN}no encoder` })) },
    }));
    expect(calibrate(skipped, t)).toEqual([]);
    const reports = [samples[0]!.report, { ...samples[1]!.report, artistDecision: null }];
    expect(samplesFromReports(reports)).toHaveLength(1);
  });

  it('leaves the count of scene-only panels (no character checks) out of the count threshold', () => {
    const count = (score: number, decision: Decision, characterId: string | null): CalibrationSample => ({
      report: {
        checks: [
          check('count', 'count', score, score >= 1, true),
          ...(characterId ? [{ ...check(`cast@${characterId}`, 'cast', 0.5, true, true), characterId }] : []),
        ],
        verdict: 'pass',
        weightedScore: 0,
        judgedAt: 0,
        artistDecision: { decision, at: 1 },
      },
      decision,
    });
    const cast = [
      ...[1, 1, 1, 1, 1, 1].map((s) => count(s, 'accept', 'c')),
      ...[0.6, 0.5, 0.6, 0.37, 0.5, 0.6].map((s) => count(s, 'reject', 'c')),
    ];
    const scenes = [0, 0, 0, 0].map((s) => count(s, 'accept', null));
    const only = calibrate(cast, resolveThresholds()).find((p) => p.key === 'count')!;
    const mixed = calibrate([...cast, ...scenes], resolveThresholds()).find((p) => p.key === 'count')!;
    expect(only.decisions).toBe(12);
    expect(mixed).toEqual(only);
  });

  it('applies only the proposals the artist chose', () => {
    const proposals = calibrate(samples, t);
    expect(applyProposals({ scene: 0.3 }, proposals)).toEqual({ scene: 0.3, identity: 0.775 });
    expect(applyProposals({ scene: 0.3 }, proposals, ['scene'])).toEqual({ scene: 0.3 });
  });

  it('midpoints are taken between distinct sorted scores', () => {
    expect(midpoints([0.5, 0.1, 0.5, 0.3])).toEqual([0.2, 0.4]);
  });
});
