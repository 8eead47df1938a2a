/**
 * Calibration: from the artist's recorded decisions, propose per-check thresholds that best
 * separate kept panels from rejected ones. Proposals carry before/after agreement so the UI can
 * show them; nothing changes until the artist applies them.
 *
 * Labels: 'accept' and 'override' (kept despite the verdict) are positive, 'reject' negative.
 * Every check of a report takes its report's label; a per-character check contributes one sample
 * per character. For each calibratable key, candidate thresholds are the midpoints between
 * consecutive distinct observed scores, and the one with the highest balanced accuracy
 * ½·(TPR + TNR) wins (ties: the candidate closest to the current threshold).
 */
import type { JudgeCheck, JudgeReport } from '../domain';
import { CHECK_KEYS, ZERO_SHOT_KEYS, checkKeyOf } from './thresholds';
import type { CheckKey, JudgeThresholds } from './thresholds';
import { isSkipped } from './verdict';

export type Decision = 'accept' | 'reject' | 'override';

export interface CalibrationSample {
  report: JudgeReport;
  decision: Decision;
}

export interface CalibrationOptions {
  /** Fewer decided reports than this with a key → no proposal for it. */
  minDecisions?: number;
  /** Each class (kept, rejected) needs at least this many samples. */
  minPerClass?: number;
  /** The proposal must beat the current balanced accuracy by more than this. */
  minGain?: number;
}

export interface Agreement {
  balancedAccuracy: number;
  /** Share of samples where the check's pass/fail agrees with the artist. */
  accuracy: number;
  truePass: number;
  falsePass: number;
  trueFail: number;
  falseFail: number;
}

export interface ThresholdProposal {
  key: CheckKey;
  status: 'propose' | 'keep' | 'insufficient';
  reason: string;
  current: number;
  proposed: number | null;
  /** Decided reports that had this check. */
  decisions: number;
  kept: number;
  rejected: number;
  before: Agreement;
  after: Agreement | null;
}

/** The reports that carry an artist decision. */
export function samplesFromReports(reports: readonly JudgeReport[]): CalibrationSample[] {
  return reports.flatMap((report) =>
    report.artistDecision ? [{ report, decision: report.artistDecision.decision }] : [],
  );
}

const isZeroShot = (key: string) => (ZERO_SHOT_KEYS as readonly string[]).includes(key);

/**
 * Would this check pass at threshold t? Copy-paste passes below t (its score is a similarity to
 * the reference). Zero-shot checks also had to rank in the top k, which the report keeps only as
 * its threshold (max(top-k cut, old minimum)); t is applied on top of it, exact whenever the old
 * minimum did not exceed the top-k cut (the default 0 never does).
 */
export function passesAt(
  check: Pick<JudgeCheck, 'score' | 'threshold'>,
  key: CheckKey,
  t: number,
  higherIsBetter: boolean,
): boolean {
  if (!higherIsBetter) return check.score < t;
  if (isZeroShot(key)) return check.score >= Math.max(t, check.threshold);
  return check.score >= t;
}

function agreement(
  samples: ReadonlyArray<{ check: JudgeCheck; kept: boolean }>,
  pass: (c: JudgeCheck) => boolean,
): Agreement {
  let truePass = 0;
  let falsePass = 0;
  let trueFail = 0;
  let falseFail = 0;
  for (const s of samples) {
    const p = pass(s.check);
    if (s.kept && p) truePass++;
    else if (s.kept) falseFail++;
    else if (p) falsePass++;
    else trueFail++;
  }
  const kept = truePass + falseFail;
  const rejected = falsePass + trueFail;
  const tpr = kept ? truePass / kept : 0;
  const tnr = rejected ? trueFail / rejected : 0;
  const halves = (kept ? 1 : 0) + (rejected ? 1 : 0);
  return {
    balancedAccuracy: halves ? (tpr + tnr) / halves : 0,
    accuracy: samples.length ? (truePass + trueFail) / samples.length : 0,
    truePass,
    falsePass,
    trueFail,
    falseFail,
  };
}

/** Midpoints between consecutive distinct values. */
export function midpoints(values: readonly number[]): number[] {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  return sorted.slice(1).map((v, i) => (sorted[i]! + v) / 2);
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** The report of a panel without characters: none of its checks is about a character. */
const isSceneOnly = (report: JudgeReport) => report.checks.every((c) => c.characterId === null);

export function calibrate(
  samples: readonly CalibrationSample[],
  thresholds: JudgeThresholds,
  options: CalibrationOptions = {},
): ThresholdProposal[] {
  const minDecisions = options.minDecisions ?? 12;
  const minPerClass = options.minPerClass ?? 3;
  const minGain = options.minGain ?? 0;
  const proposals: ThresholdProposal[] = [];
  for (const key of CHECK_KEYS) {
    const policy = thresholds.checks[key];
    if (!policy.calibratable) continue;
    const rows: Array<{ check: JudgeCheck; kept: boolean }> = [];
    let decisions = 0;
    for (const s of samples) {
      // A scene-only panel's count and figure findings are soft by design (it expects no one, and
      // occm(0, n) is ~0 for any figure): kept establishing shots with passers-by must not drag
      // the count threshold of panels with a cast down. Such a report names no character.
      if ((key === 'count' || key === 'cast') && isSceneOnly(s.report)) continue;
      const checks = s.report.checks.filter((c) => checkKeyOf(c.id) === key && !isSkipped(c));
      if (checks.length) decisions++;
      for (const check of checks) rows.push({ check, kept: s.decision !== 'reject' });
    }
    if (rows.length === 0) continue;
    const current = policy.threshold;
    const rule = (t: number) => (c: JudgeCheck) => passesAt(c, key, t, policy.higherIsBetter);
    const before = agreement(rows, rule(current));
    const kept = rows.filter((r) => r.kept).length;
    const rejected = rows.length - kept;
    const base = { key, current, decisions, kept, rejected, before };
    if (decisions < minDecisions || kept < minPerClass || rejected < minPerClass) {
      proposals.push({
        ...base,
        status: 'insufficient',
        reason: `Needs at least ${minDecisions} decided panels with at least ${minPerClass} kept and ${minPerClass} rejected samples; has ${decisions} panels, ${kept} kept and ${rejected} rejected.`,
        proposed: null,
        after: null,
      });
      continue;
    }
    let best: { t: number; a: Agreement } | null = null;
    for (const t of midpoints(rows.map((r) => r.check.score))) {
      const a = agreement(rows, rule(t));
      const better =
        !best ||
        a.balancedAccuracy > best.a.balancedAccuracy + 1e-12 ||
        (Math.abs(a.balancedAccuracy - best.a.balancedAccuracy) <= 1e-12 &&
          Math.abs(t - current) < Math.abs(best.t - current));
      if (better) best = { t, a };
    }
    if (!best || best.a.balancedAccuracy <= before.balancedAccuracy + minGain) {
      proposals.push({
        ...base,
        status: 'keep',
        reason: 'No threshold separates kept from rejected panels better than the current one.',
        proposed: null,
        after: best?.a ?? null,
      });
      continue;
    }
    proposals.push({
      ...base,
      status: 'propose',
      reason: `Balanced agreement with your decisions would rise from ${Math.round(before.balancedAccuracy * 100)}% to ${Math.round(best.a.balancedAccuracy * 100)}%.`,
      proposed: round4(best.t),
      after: best.a,
    });
  }
  return proposals;
}

/** New settings.thresholds with the chosen proposals applied (all 'propose' ones by default). */
export function applyProposals(
  overrides: Readonly<Record<string, number>>,
  proposals: readonly ThresholdProposal[],
  keys?: readonly CheckKey[],
): Record<string, number> {
  const next = { ...overrides };
  for (const p of proposals) {
    if (p.status !== 'propose' || p.proposed === null) continue;
    if (keys && !keys.includes(p.key)) continue;
    next[p.key] = p.proposed;
  }
  return next;
}
