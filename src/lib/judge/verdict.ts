/**
 * From checks to a JudgeReport: the verdict, the weighted score that orders attempts, and the
 * choice of the best attempt.
 */
import type { JudgeCheck, JudgeReport } from '../domain';
import { policyFor, resolveThresholds } from './thresholds';
import type { JudgeThresholds } from './thresholds';

/** Checks that could not run carry this prefix in `detail`, pass, and are soft. */
export const NOT_RUN = 'not run: ';

export const isSkipped = (check: Pick<JudgeCheck, 'detail'>): boolean => check.detail.startsWith(NOT_RUN);

/** pass ⇔ every hard check passed (skipped checks are soft, so they never fail a panel). */
export function verdictOf(checks: readonly JudgeCheck[]): 'pass' | 'fail' {
  return checks.every((c) => !c.hard || c.passed) ? 'pass' : 'fail';
}

const clamp01 = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/**
 * weightedScore = Σ wᵢ · (½·passedᵢ + ½·goodnessᵢ) / Σ wᵢ over the checks that ran, in [0, 1],
 * where wᵢ is the check's weight, passedᵢ ∈ {0, 1} and goodnessᵢ = clamp(scoreᵢ, 0, 1), or
 * 1 − clamp(scoreᵢ, 0, 1) for checks where a lower score is better (copy-paste). Half the weight
 * rewards passing, half orders attempts within the same pass/fail pattern. 0 when nothing ran.
 */
export function weightedScore(
  checks: readonly JudgeCheck[],
  thresholds: JudgeThresholds = resolveThresholds(),
): number {
  let sum = 0;
  let weights = 0;
  for (const c of checks) {
    if (isSkipped(c)) continue;
    const p = policyFor(thresholds, c.id);
    const w = p?.weight ?? 1;
    if (w <= 0) continue;
    const goodness = p && !p.higherIsBetter ? 1 - clamp01(c.score) : clamp01(c.score);
    sum += w * (0.5 * (c.passed ? 1 : 0) + 0.5 * goodness);
    weights += w;
  }
  return weights > 0 ? sum / weights : 0;
}

export function assembleReport(
  checks: JudgeCheck[],
  options: { judgedAt: number; thresholds?: JudgeThresholds },
): JudgeReport {
  return {
    checks,
    verdict: verdictOf(checks),
    weightedScore: weightedScore(checks, options.thresholds),
    judgedAt: Math.max(0, Math.floor(options.judgedAt)),
    artistDecision: null,
  };
}

export const failedHardChecks = (report: JudgeReport): number =>
  report.checks.filter((c) => c.hard && !c.passed).length;

/**
 * The best of several attempts: passing verdicts first, then fewer failed hard checks, then the
 * higher weighted score, then the earlier attempt. Attempts without a report come last; null for
 * an empty list.
 */
export function bestAttempt<T extends { report: JudgeReport | null }>(attempts: readonly T[]): T | null {
  let best: T | null = null;
  for (const a of attempts) {
    if (best === null || compareAttempts(a, best) < 0) best = a;
  }
  return best;
}

/** Negative when a is better than b. */
export function compareAttempts(
  a: { report: JudgeReport | null },
  b: { report: JudgeReport | null },
): number {
  if (!a.report || !b.report) return (a.report ? 0 : 1) - (b.report ? 0 : 1);
  const pass = (r: JudgeReport) => (r.verdict === 'pass' ? 0 : 1);
  return (
    pass(a.report) - pass(b.report) ||
    failedHardChecks(a.report) - failedHardChecks(b.report) ||
    b.report.weightedScore - a.report.weightedScore
  );
}
