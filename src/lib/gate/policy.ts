/**
 * The gate policy: after each judged attempt, decide what happens next and say why.
 *
 * The escalation ladder, tried in this order; the first rung whose plan was never tried wins:
 *   1. accept     the judge passed the panel (or the artist overrode a fail)
 *   2. give up    the attempt or seconds budget is spent: the best attempt waits for review
 *   3. local edit every failure is a pose/expression/facing/wardrobe check with a box: repaint the
 *                 grown box with the failing chunk strengthened (at most 2 edits in a row)
 *                 (never for a scene-only panel: it has no character box)
 *   4. tune       identity drift, a missing character, an unboxed attribute, scene or copy-paste:
 *                 reweight and front-load (rung 0, plus negatives), then reference guidance (rung 1),
 *                 then more steps/guidance (rung 2); skipped when diffuse or when the last tune did
 *                 not raise the score
 *   5. reseed     a seed derived from the base seed and the attempt index; tuning is kept
 * Pure: the same attempts, budget and elapsed time always give the same decision.
 */
import { EXPRESSIONS, FACINGS, POSES, StoryLoomError, findTerm } from '../domain';
import type {
  Attempt,
  GateAction,
  JudgeCheck,
  JudgeReport,
  Panel,
  RegionBox,
  Settings,
  Term,
} from '../domain';
import { deriveSeed, diffPlans, planKey, replayPlans } from './plan';
import type { ConditioningKnobs, GenerationPlan } from './plan';

export type GateBudget = Settings['budget'];

/** What the active model pack can do; a pack without an image encoder can neither edit nor follow references. */
export interface GateCapabilities {
  localEdit: boolean;
  referenceGuided: boolean;
}

export const GATE_TUNING = {
  /** Check kinds a masked repaint can fix (accessories are judged by the wardrobe check). */
  localKinds: ['pose', 'expression', 'facing', 'wardrobe'] as readonly JudgeCheck['kind'][],
  /** The VLM's advisory kinds: failing alone, they call for a new draw, not a targeted repair. */
  vlmKinds: ['caption', 'placement', 'checklist'] as readonly JudgeCheck['kind'][],
  /** Grown on every side, in panel fractions. */
  maskMargin: 0.05,
  /** Larger masks are a regeneration in disguise. */
  maxMaskArea: 0.5,
  maxConsecutiveEdits: 2,
  maxTunes: 3,
  localBoost: 1.3,
  transientBoost: 1.3,
  identityBoost: 1.25,
  sceneBoost: 1.2,
  maxWeight: 2,
  referenceStart: 0.35,
  referenceStep: 0.15,
  referenceMin: 0.2,
  referenceMax: 0.8,
  stepsBoost: 1.25,
  maxSteps: 50,
  guidanceStep: 1,
  maxGuidance: 12,
  /** Failures are diffuse when at least this many and this share of the checks fail. */
  diffuseMin: 3,
  diffuseShare: 0.5,
  /** Salts tried for a reseed before the ladder counts as exhausted. */
  reseedSalts: 16,
} as const;

export const NEGATIVES = {
  identity: ['off-model', 'inconsistent character design'],
  count: ['extra people', 'crowd', 'merged figures'],
  copyPaste: ['collage', 'pasted cutout'],
} as const;

export interface PolicyInput {
  panel: Panel;
  /** The plan of attempt 0; later plans are replayed from the attempts' diffs. */
  initialPlan: GenerationPlan;
  /** In index order; the last one is being decided on and carries the latest report. */
  attempts: readonly Attempt[];
  budget: GateBudget;
  /** Generation and judging time spent on this panel so far, the last attempt included. */
  elapsedSeconds: number;
  capabilities?: Partial<GateCapabilities>;
}

export interface GateDecision {
  action: GateAction;
  /** The plan for the next attempt; null when the gate stops (accept, give-up). */
  next: GenerationPlan | null;
  /** The accepted attempt, or the best so far (highest weightedScore, earliest on ties). */
  best: Attempt;
}

interface Candidate {
  kind: 'local-edit' | 'prompt-tune' | 'reseed';
  reason: string;
  next: GenerationPlan;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (x: number) => String(round(x, 2));

/** Highest weightedScore; the earliest wins a tie; unjudged attempts rank last. */
export function bestAttempt(attempts: readonly Attempt[]): Attempt | null {
  let best: Attempt | null = null;
  for (const a of attempts) {
    const score = a.report?.weightedScore ?? -Infinity;
    const bestScore = best?.report?.weightedScore ?? -Infinity;
    if (!best || score > bestScore) best = a;
  }
  return best;
}

/** The artist's word beats the judge's. */
export function effectiveVerdict(report: JudgeReport | null): 'pass' | 'fail' {
  const artist = report?.artistDecision?.decision;
  if (artist === 'override' || artist === 'accept') return 'pass';
  if (artist === 'reject') return 'fail';
  return report?.verdict ?? 'fail';
}

export function decide(input: PolicyInput): GateDecision {
  const { attempts, budget } = input;
  const latest = attempts[attempts.length - 1];
  if (!latest) {
    throw new StoryLoomError(
      'invalid-input',
      'The gate can only decide after at least one attempt was made.',
    );
  }
  // The latest attempt goes in without its (possibly stale) decision so its seed is checked too.
  const plans = replayPlans(input.initialPlan, [...attempts.slice(0, -1), { ...latest, action: null }]);
  const plan = plans[attempts.length - 1] as GenerationPlan;
  const best = bestAttempt(attempts) as Attempt;
  const report = latest.report;

  if (effectiveVerdict(report) === 'pass') {
    return { action: { kind: 'accept', reason: acceptReason(latest), diff: [] }, next: null, best: latest };
  }
  const spent = budgetSpent(attempts.length, input.elapsedSeconds, budget);
  if (spent) return giveUp(`${spent} ${keptForReview(best)}`, best);

  const tried = new Set(plans.map(planKey));
  for (const candidate of ladder(input, plan, latest)) {
    if (tried.has(planKey(candidate.next))) continue;
    return {
      action: { kind: candidate.kind, reason: candidate.reason, diff: diffPlans(plan, candidate.next) },
      next: candidate.next,
      best,
    };
  }
  return giveUp(`Every repair the gate knows was already tried for this panel. ${keptForReview(best)}`, best);
}

function giveUp(reason: string, best: Attempt): GateDecision {
  return { action: { kind: 'give-up', reason, diff: [] }, next: null, best };
}

function budgetSpent(made: number, elapsedSeconds: number, budget: GateBudget): string | null {
  if (made >= budget.maxAttempts) {
    return `Gave up after ${made} attempt${made === 1 ? '' : 's'}: the budget of ${budget.maxAttempts} is spent.`;
  }
  if (elapsedSeconds >= budget.maxSeconds) {
    return `Gave up after ${Math.round(elapsedSeconds)} s: the budget of ${budget.maxSeconds} s is spent.`;
  }
  return null;
}

const keptForReview = (best: Attempt) =>
  `Attempt ${best.index} scored best (${fmt(best.report?.weightedScore ?? 0)}); the panel needs review.`;

function acceptReason(latest: Attempt): string {
  const checks = latest.report?.checks ?? [];
  const passed = checks.filter((c) => c.passed).length;
  const artist = latest.report?.artistDecision?.decision;
  if (artist === 'override' || artist === 'accept') return `The artist accepted attempt ${latest.index}.`;
  return `${passed} of ${checks.length} checks passed (score ${fmt(latest.report?.weightedScore ?? 0)}); attempt ${latest.index} is accepted.`;
}

// ------------------------------------------------------------------ the ladder

function* ladder(input: PolicyInput, plan: GenerationPlan, latest: Attempt): Generator<Candidate> {
  const caps: GateCapabilities = { localEdit: true, referenceGuided: true, ...input.capabilities };
  const report = latest.report;
  const failing = report ? report.checks.filter((c) => !c.passed) : [];
  const history = input.attempts.slice(0, -1).map((a) => a.action?.kind);
  const lastKind = history[history.length - 1];
  const previousScore = input.attempts[input.attempts.length - 2]?.report?.weightedScore;
  const score = report?.weightedScore ?? -Infinity;

  // A scene-only panel has no character box to repaint and no template to follow: it is repaired by
  // prompt tuning (the scene chunk, negatives) and new seeds only, even if an older report (from
  // before the cast was emptied) still names a character.
  const sceneOnly = input.panel.cast.length === 0;
  if (sceneOnly) {
    caps.localEdit = false;
    caps.referenceGuided = false;
  }
  const edit = caps.localEdit && trailing(history, 'local-edit') < GATE_TUNING.maxConsecutiveEdits;
  const local = edit ? localEdit(input, plan, latest, failing) : null;
  if (local) yield local;

  const diffuse = isDiffuse(report, failing);
  const tunes = history.filter((k) => k === 'prompt-tune').length;
  const stalled = lastKind === 'prompt-tune' && previousScore !== undefined && score <= previousScore;
  if (!diffuse && !stalled && tunes < GATE_TUNING.maxTunes) {
    const tune = promptTune(input, plan, failing, tunes, caps);
    if (tune) yield tune;
  }

  const why = diffuse
    ? `${failing.length || 'No single'} check${failing.length === 1 ? '' : 's'} failed across the panel${failing.length ? ` (${describe(failing)})` : ''}, too diffuse to repair`
    : stalled
      ? `The last prompt tuning did not raise the score (${fmt(score)} ≤ ${fmt(previousScore ?? 0)})`
      : `Repairs were already tried (${describe(failing)})`;
  for (let salt = 0; salt < GATE_TUNING.reseedSalts; salt++) {
    const seed = deriveSeed(input.initialPlan.seed, latest.index + 1, salt);
    yield {
      kind: 'reseed',
      reason: `${why}: draw again with seed ${seed}, keeping the prompt tuning.`,
      next: { ...fullGeneration(input, plan), seed },
    };
  }
}

const trailing = <T>(list: readonly T[], value: T) => {
  let n = 0;
  for (let i = list.length - 1; i >= 0 && list[i] === value; i--) n++;
  return n;
};

function isDiffuse(report: JudgeReport | null, failing: readonly JudgeCheck[]): boolean {
  if (!report || failing.length === 0) return true;
  if (failing.every((c) => GATE_TUNING.vlmKinds.includes(c.kind))) return true;
  // The advisory VLM checks order attempts; they neither make a targeted failure diffuse nor count
  // towards the share. Counted per kind and character: a hundred "extra figure" findings are one
  // problem, not a hundred.
  const counted = (c: JudgeCheck) => !GATE_TUNING.vlmKinds.includes(c.kind);
  const aspect = (c: JudgeCheck) => `${c.kind}|${c.characterId ?? ''}`;
  const failed = new Set(failing.filter(counted).map(aspect)).size;
  return (
    failed >= GATE_TUNING.diffuseMin &&
    failed >= GATE_TUNING.diffuseShare * new Set(report.checks.filter(counted).map(aspect)).size
  );
}

const describe = (checks: readonly JudgeCheck[]) =>
  checks.map((c) => `${c.label} ${fmt(c.score)} < ${fmt(c.threshold)}`).join('; ') || 'no failing check';

/** Back to a whole-image generation; an artist's own edit (an edit initial plan) stays an edit. */
function fullGeneration(input: PolicyInput, plan: GenerationPlan): GenerationPlan {
  if (input.initialPlan.mode === 'edit') {
    const { mode, mask, editAttemptIndex } = input.initialPlan;
    return { ...plan, mode, mask, editAttemptIndex };
  }
  return {
    ...plan,
    mode: plan.referenceStrength === null ? 'txt2img' : 'img2img',
    mask: null,
    editAttemptIndex: null,
  };
}

// --------------------------------------------------------------- local edit

const TERMS: Partial<
  Record<JudgeCheck['kind'], { terms: readonly Term[]; field: 'pose' | 'expression' | 'facing' }>
> = {
  pose: { terms: POSES, field: 'pose' },
  expression: { terms: EXPRESSIONS, field: 'expression' },
  facing: { terms: FACINGS, field: 'facing' },
};

/** The draw phrase of the term the panel asked for, e.g. "smiling" for a failed expression check. */
function drawPhrase(panel: Panel, check: JudgeCheck): string | null {
  const vocab = TERMS[check.kind];
  const member = panel.cast.find((m) => m.characterId === check.characterId);
  if (!vocab || !member) return null;
  return findTerm(vocab.terms, member[vocab.field])?.draw ?? null;
}

export function growBox(box: RegionBox, margin: number = GATE_TUNING.maskMargin): RegionBox {
  return boxFromEdges(
    Math.max(0, box.x - margin),
    Math.max(0, box.y - margin),
    Math.min(1, box.x + box.w + margin),
    Math.min(1, box.y + box.h + margin),
  );
}

function boxFromEdges(x0: number, y0: number, x1: number, y1: number): RegionBox {
  const [a, b, c, d] = [x0, y0, x1, y1].map((v) => round(v, 6)) as [number, number, number, number];
  return { x: a, y: b, w: round(c - a, 6), h: round(d - b, 6) };
}

function unionBox(boxes: readonly RegionBox[]): RegionBox {
  const x0 = Math.min(...boxes.map((b) => b.x));
  const y0 = Math.min(...boxes.map((b) => b.y));
  const x1 = Math.max(...boxes.map((b) => b.x + b.w));
  const y1 = Math.max(...boxes.map((b) => b.y + b.h));
  return boxFromEdges(x0, y0, x1, y1);
}

function localEdit(
  input: PolicyInput,
  plan: GenerationPlan,
  latest: Attempt,
  allFailing: readonly JudgeCheck[],
): Candidate | null {
  // Soft checks outside the local kinds (VLM caption and placement, scene, composition) only order
  // attempts: they must not keep the gate from repairing a region.
  const failing = allFailing.filter((c) => c.hard || GATE_TUNING.localKinds.includes(c.kind));
  if (failing.length === 0) return null;
  const localisable = (c: JudgeCheck) =>
    GATE_TUNING.localKinds.includes(c.kind) &&
    c.box !== null &&
    c.characterId !== null &&
    (c.kind === 'wardrobe' || drawPhrase(input.panel, c) !== null);
  if (!failing.every(localisable)) return null;
  const mask = unionBox(failing.map((c) => growBox(c.box as RegionBox)));
  if (mask.w * mask.h > GATE_TUNING.maxMaskArea) return null;

  let knobs = plan.compileOptions;
  const repairs: string[] = [];
  for (const check of failing) {
    const id = check.characterId as string;
    if (check.kind === 'wardrobe') {
      knobs = boostCharacter(knobs, id, 'identity', GATE_TUNING.localBoost);
      repairs.push(`identity chunk of ${id} ×${GATE_TUNING.localBoost}`);
      continue;
    }
    const phrase = drawPhrase(input.panel, check) as string;
    knobs = frontLoad(boostCharacter(knobs, id, 'transient', GATE_TUNING.localBoost), id, phrase);
    repairs.push(`transient chunk of ${id} ×${GATE_TUNING.localBoost} with "${phrase}" in front`);
  }
  const area = Math.round(mask.w * mask.h * 100);
  return {
    kind: 'local-edit',
    reason: `Only local checks failed (${describe(failing)}): repaint ${area}% of attempt ${latest.index}'s image around the failing box with the ${repairs.join(' and ')}.`,
    next: { ...plan, mode: 'edit', mask, editAttemptIndex: latest.index, compileOptions: knobs },
  };
}

// -------------------------------------------------------------- prompt tuning

const boosted = (current: number | undefined, factor: number) =>
  round(Math.min(GATE_TUNING.maxWeight, (current ?? 1) * factor));

function boostCharacter(
  knobs: ConditioningKnobs,
  characterId: string,
  chunk: 'identity' | 'transient',
  factor: number,
): ConditioningKnobs {
  const current = knobs.characterWeights?.[characterId] ?? {};
  const fallback = knobs.weights?.[chunk];
  return {
    ...knobs,
    characterWeights: {
      ...knobs.characterWeights,
      [characterId]: { ...current, [chunk]: boosted(current[chunk] ?? fallback, factor) },
    },
  };
}

function frontLoad(knobs: ConditioningKnobs, characterId: string, phrase: string): ConditioningKnobs {
  const current = knobs.frontLoad?.[characterId] ?? [];
  if (current.includes(phrase)) return knobs;
  return { ...knobs, frontLoad: { ...knobs.frontLoad, [characterId]: [phrase, ...current] } };
}

function addNegatives(knobs: ConditioningKnobs, phrases: readonly string[]): ConditioningKnobs {
  const current = knobs.extraNegatives ?? [];
  const fresh = phrases.filter((p) => !current.includes(p));
  return fresh.length ? { ...knobs, extraNegatives: [...current, ...fresh] } : knobs;
}

function promptTune(
  input: PolicyInput,
  plan: GenerationPlan,
  failing: readonly JudgeCheck[],
  rung: number,
  caps: GateCapabilities,
): Candidate | null {
  let knobs = plan.compileOptions;
  const changes: string[] = [];
  // Only what really changed is named in the reason (weights stop at their cap).
  const apply = (next: ConditioningKnobs, change: string) => {
    if (JSON.stringify(next) !== JSON.stringify(knobs)) changes.push(change);
    knobs = next;
  };
  let drift = false;
  let copyPaste = false;
  for (const check of failing) {
    const id = check.characterId;
    switch (check.kind) {
      case 'identity':
      case 'cast':
        if (id === null) {
          apply(addNegatives(knobs, NEGATIVES.count), 'negatives against extra or merged figures');
          break;
        }
        drift = true;
        apply(
          boostCharacter(knobs, id, 'identity', GATE_TUNING.identityBoost),
          `identity chunk of ${id} ×${GATE_TUNING.identityBoost}`,
        );
        apply(addNegatives(knobs, NEGATIVES.identity), 'negatives against off-model drawing');
        if (check.kind === 'cast') {
          apply(
            boostCharacter(knobs, id, 'transient', GATE_TUNING.identityBoost),
            `transient chunk of ${id} ×${GATE_TUNING.identityBoost}`,
          );
        }
        break;
      case 'count':
        apply(addNegatives(knobs, NEGATIVES.count), 'negatives against extra or merged figures');
        break;
      case 'pose':
      case 'expression':
      case 'facing': {
        const phrase = id === null ? null : drawPhrase(input.panel, check);
        if (id === null || phrase === null) break;
        apply(
          frontLoad(boostCharacter(knobs, id, 'transient', GATE_TUNING.transientBoost), id, phrase),
          `transient chunk of ${id} ×${GATE_TUNING.transientBoost} with "${phrase}" in front`,
        );
        break;
      }
      case 'wardrobe':
        if (id === null) break;
        apply(
          boostCharacter(knobs, id, 'identity', GATE_TUNING.identityBoost),
          `identity chunk of ${id} ×${GATE_TUNING.identityBoost}`,
        );
        break;
      case 'scene':
      case 'composition':
        apply(
          {
            ...knobs,
            weights: { ...knobs.weights, scene: boosted(knobs.weights?.scene, GATE_TUNING.sceneBoost) },
          },
          `scene chunk ×${GATE_TUNING.sceneBoost}`,
        );
        break;
      case 'copy-paste':
        copyPaste = true;
        apply(addNegatives(knobs, NEGATIVES.copyPaste), 'negatives against pasted cut-outs');
        break;
      case 'caption':
      case 'placement':
      case 'checklist':
        break;
    }
  }

  let next: GenerationPlan = { ...fullGeneration(input, plan), compileOptions: knobs };
  if (copyPaste && next.referenceStrength !== null) {
    const lowered = round(
      Math.max(GATE_TUNING.referenceMin, next.referenceStrength - GATE_TUNING.referenceStep),
    );
    if (lowered !== next.referenceStrength) {
      next = { ...next, referenceStrength: lowered };
      changes.push(`reference strength lowered to ${lowered}`);
    }
  }
  if (rung >= 1 && drift && !copyPaste && caps.referenceGuided && next.mode !== 'edit') {
    const raised =
      next.referenceStrength === null
        ? GATE_TUNING.referenceStart
        : round(Math.min(GATE_TUNING.referenceMax, next.referenceStrength + GATE_TUNING.referenceStep));
    if (raised !== next.referenceStrength) {
      changes.push(
        next.referenceStrength === null
          ? `reference-guided generation at strength ${raised}`
          : `reference strength raised to ${raised}`,
      );
      next = { ...next, mode: 'img2img', referenceStrength: raised };
    }
  }
  if (rung >= 2) {
    const steps = Math.min(GATE_TUNING.maxSteps, Math.ceil(next.numInferenceSteps * GATE_TUNING.stepsBoost));
    // Guidance 0 means a distilled model that runs without classifier-free guidance: leave it so.
    const guidance =
      next.guidanceScale > 0
        ? Math.min(GATE_TUNING.maxGuidance, next.guidanceScale + GATE_TUNING.guidanceStep)
        : 0;
    if (steps !== next.numInferenceSteps) changes.push(`${steps} inference steps`);
    if (guidance !== next.guidanceScale) changes.push(`guidance scale ${guidance}`);
    next = { ...next, numInferenceSteps: steps, guidanceScale: guidance };
  }
  if (changes.length === 0) return null;
  return {
    kind: 'prompt-tune',
    reason: `${describe(failing)}: tune the prompt (rung ${rung + 1} of ${GATE_TUNING.maxTunes}) with the ${[...new Set(changes)].join(', ')}.`,
    next,
  };
}
