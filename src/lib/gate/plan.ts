/**
 * The generation plan: everything the gate may turn between two attempts of one panel, as a plain
 * serialisable object. Attempts store only the diff each decision applied, so the plan of any attempt
 * is the initial plan folded over the earlier attempts' diffs (see `replayPlans`).
 */
import { StoryLoomError } from '../domain';
import type { Attempt, GateAction, RegionBox } from '../domain';

/**
 * The conditioning knobs, structurally identical to `CompileOptions` in `lib/prompt/compile.ts`.
 * The gate may import only domain, so it cannot name that type; `tests/unit/gate-plan.test.ts`
 * assigns one to the other so the compiler breaks if they drift apart.
 */
export interface ConditioningKnobs {
  weights?: Partial<Record<'identity' | 'transient' | 'scene', number>>;
  characterWeights?: Record<string, Partial<Record<'identity' | 'transient', number>>>;
  extraNegatives?: string[];
  frontLoad?: Record<string, string[]>;
}

export type GenerationMode = 'txt2img' | 'img2img' | 'edit';

export interface GenerationPlan {
  /** Unsigned 32-bit; stored on the attempt so it can be reproduced. */
  seed: number;
  /** txt2img; img2img = reference-guided from the character templates; edit = masked repaint. */
  mode: GenerationMode;
  compileOptions: ConditioningKnobs;
  /** How strongly the templates guide generation (0..1); null without reference guidance. */
  referenceStrength: number | null;
  numInferenceSteps: number;
  guidanceScale: number;
  /** The region an edit repaints, in panel fractions; null unless mode is 'edit'. */
  mask: RegionBox | null;
  /** The attempt whose image an edit repaints; null unless mode is 'edit'. */
  editAttemptIndex: number | null;
}

export type PlanDiff = GateAction['diff'];

const PLAN_KEYS: ReadonlySet<string> = new Set<keyof GenerationPlan>([
  'seed',
  'mode',
  'compileOptions',
  'referenceStrength',
  'numInferenceSteps',
  'guidanceScale',
  'mask',
  'editAttemptIndex',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sorted keys; empty objects and arrays dropped (they compile exactly like absent ones). */
function canonical(value: unknown): Json | undefined {
  if (Array.isArray(value)) {
    const items = value.map(canonical).filter((v): v is Json => v !== undefined);
    return items.length ? items : undefined;
  }
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonical(value[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value === undefined ? undefined : (value as Json);
}

/** Equal keys mean the generator would be asked for the same image twice. */
export function planKey(plan: GenerationPlan): string {
  const c = canonical(plan);
  return JSON.stringify(c === undefined ? {} : c);
}

/** Equal as stored data: key order and empty containers do not matter. */
export const sameData = (a: unknown, b: unknown) =>
  JSON.stringify(canonical(a) ?? null) === JSON.stringify(canonical(b) ?? null);

// RFC 6901 pointers: character ids may contain any character, so dotted paths would be ambiguous.
const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

export const pointer = (...segments: string[]) => '/' + segments.map(escape).join('/');

/**
 * The exact change from one plan to the next as path/from/to entries (sorted by path). Objects are
 * walked at the root and under compileOptions; arrays, the mask and scalars are leaves. An absent value is written as null (JSON has no undefined).
 */
export function diffPlans(from: GenerationPlan, to: GenerationPlan): PlanDiff {
  const out: PlanDiff = [];
  const walk = (a: unknown, b: unknown, segments: string[]) => {
    // Walk the root and the knobs; mask and the other fields are compared whole.
    const walkable = segments.length === 0 || segments[0] === 'compileOptions';
    const objectLike = (v: unknown) => isObject(v) || v === undefined;
    if (walkable && objectLike(a) && objectLike(b) && (isObject(a) || isObject(b))) {
      const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
      for (const key of keys)
        walk((a as JsonObject | undefined)?.[key], (b as JsonObject | undefined)?.[key], [...segments, key]);
      return;
    }
    if (sameData(a, b)) return;
    out.push({ path: pointer(...segments), from: clone(a ?? null), to: clone(b ?? null) });
  };
  walk(from, to, []);
  return out;
}

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

/**
 * Apply a diff to a plan (the plan is not changed). Below the top level a `to` of null removes the
 * key: the knobs have no null values, and a removed override compiles like a missing one.
 */
export function applyDiff(plan: GenerationPlan, diff: PlanDiff): GenerationPlan {
  const next = structuredClone(plan) as unknown as JsonObject;
  for (const entry of diff) {
    const segments = entry.path.split('/').slice(1).map(unescape);
    const [top] = segments;
    if (!entry.path.startsWith('/') || top === undefined || !PLAN_KEYS.has(top)) {
      throw new StoryLoomError(
        'invalid-input',
        `A gate diff may only change the generation plan's fields (${[...PLAN_KEYS].join(', ')}); got the path "${entry.path}".`,
      );
    }
    let node: JsonObject = next;
    for (const segment of segments.slice(0, -1)) {
      const child = node[segment];
      node = isObject(child) ? child : (node[segment] = {});
    }
    const last = segments[segments.length - 1] as string;
    if (entry.to === null && segments.length > 1) delete node[last];
    else node[last] = clone(entry.to) as Json;
  }
  return next as unknown as GenerationPlan;
}

/**
 * The plan each attempt ran with: plans[i] for attempts[i], followed by the plan the last action
 * leads to when it changed anything (accept and give-up apply no diff and end the list).
 * Checks each replayed seed against the stored one, so a changed initial plan cannot silently fork.
 */
export function replayPlans(initialPlan: GenerationPlan, attempts: readonly Attempt[]): GenerationPlan[] {
  const plans = [initialPlan];
  attempts.forEach((attempt, i) => {
    const plan = plans[i] as GenerationPlan;
    if (attempt.seed !== plan.seed) {
      throw new StoryLoomError(
        'invalid-input',
        `Attempt ${attempt.index} was made with seed ${attempt.seed}, but replaying the plan gives seed ${plan.seed}. Resume with the initial plan this panel was started with.`,
      );
    }
    const action = attempt.action;
    if (!action || action.kind === 'accept' || action.kind === 'give-up') {
      if (i !== attempts.length - 1) {
        throw new StoryLoomError(
          'invalid-input',
          `Attempt ${attempt.index} ${action ? `ended the gate (${action.kind})` : 'has no gate decision'} but later attempts exist; only the last attempt may.`,
        );
      }
      return;
    }
    plans.push(applyDiff(plan, action.diff));
  });
  return plans;
}

/**
 * A reseed's seed: murmur3's finaliser over the base seed, the attempt index and a salt, so
 * every attempt of every panel gets its own reproducible seed.
 */
export function deriveSeed(baseSeed: number, attemptIndex: number, salt = 0): number {
  let h = (baseSeed >>> 0) ^ Math.imul(attemptIndex + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca77);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Problems with a plan as sentences; empty when it is usable. */
export function planProblems(plan: GenerationPlan): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(plan.seed) || plan.seed < 0 || plan.seed > 0xffffffff) {
    problems.push(`The seed must be a whole number from 0 to 4294967295, got ${plan.seed}.`);
  }
  if (!Number.isInteger(plan.numInferenceSteps) || plan.numInferenceSteps < 1) {
    problems.push(`numInferenceSteps must be a whole number of at least 1, got ${plan.numInferenceSteps}.`);
  }
  if (!(plan.guidanceScale >= 0))
    problems.push(`guidanceScale must be 0 or more, got ${plan.guidanceScale}.`);
  if (plan.referenceStrength !== null && !(plan.referenceStrength >= 0 && plan.referenceStrength <= 1)) {
    problems.push(`referenceStrength must lie between 0 and 1 (or be null), got ${plan.referenceStrength}.`);
  }
  if ((plan.mode === 'edit') !== (plan.mask !== null && plan.editAttemptIndex !== null)) {
    problems.push('An edit needs both a mask and the attempt it repaints; other modes take neither.');
  }
  return problems;
}
