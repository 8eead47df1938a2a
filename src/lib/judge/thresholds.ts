/**
 * Judge thresholds: defaults per check, merged with the flat `settings.thresholds` record.
 *
 * Settings keys (all numbers):
 *   `<check>`          the threshold of that check (see CHECK_KEYS)
 *   `<check>.hard`     1 = a failure fails the panel, 0 = it only lowers the weighted score
 *   `<check>.weight`   weight in the weighted score
 *   `<zero-shot>.topK` pose / expression / facing / composition: requested term must rank ≤ k
 *   plus the parameters in PARAMETER_DEFAULTS (detection score, NMS, logit scale, …).
 * Unknown keys are ignored (a newer build may have written them); invalid values fall back to
 * the default and are reported by `validateThresholdOverrides`.
 */
import type { CheckKind } from '../domain';

export const CHECK_KEYS = [
  'cast',
  'count',
  'identity',
  'identity.self',
  'wardrobe',
  'pose',
  'expression',
  'facing',
  'composition',
  'scene',
  'copy-paste',
  'caption',
  'placement',
] as const;
export type CheckKey = (typeof CHECK_KEYS)[number];

export const ZERO_SHOT_KEYS = ['pose', 'expression', 'facing', 'composition'] as const;
export type ZeroShotKey = (typeof ZERO_SHOT_KEYS)[number];

export interface CheckPolicy {
  kind: CheckKind;
  threshold: number;
  hard: boolean;
  weight: number;
  /** False only for copy-paste, whose score is a similarity to the reference (high = bad). */
  higherIsBetter: boolean;
  /** Whether `calibrate` may propose a threshold for this key. */
  calibratable: boolean;
  /** What the threshold means, for the settings screen. */
  meaning: string;
}

const policy = (
  kind: CheckKind,
  threshold: number,
  hard: boolean,
  weight: number,
  meaning: string,
  extra: Partial<CheckPolicy> = {},
): CheckPolicy => ({
  kind,
  threshold,
  hard,
  weight,
  higherIsBetter: true,
  calibratable: true,
  meaning,
  ...extra,
});

/**
 * Starting points, meant to be calibrated from the artist's decisions. Identity values assume
 * CLIP ViT-B image embeddings of character crops (same character ≈ 0.8–0.9, other characters in
 * the same style ≈ 0.6–0.8). Wardrobe, facing, composition, scene and the VLM's caption and
 * placement checks are soft: their signals are noisy on stylised art, so they order attempts but
 * do not fail them. A caption that leaves something out is weak evidence that it is missing, and
 * a panel yields many caption items, so each weighs little.
 */
export const DEFAULT_POLICIES: Readonly<Record<CheckKey, CheckPolicy>> = {
  cast: policy(
    'cast',
    0.1,
    true,
    2,
    'Minimum overlap (IoU) of a detection with the planned region to count as that character',
  ),
  count: policy(
    'count',
    1,
    true,
    2,
    'Count agreement exp(−|detected − expected| / expected); 1 = exact count',
  ),
  identity: policy(
    'identity',
    0.78,
    true,
    3,
    'Minimum cosine similarity of the character crop to its verified templates',
  ),
  'identity.self': policy(
    'identity',
    0.75,
    true,
    2,
    'Minimum cosine similarity to the same character in earlier accepted panels',
  ),
  wardrobe: policy(
    'wardrobe',
    0.5,
    false,
    1,
    'Minimum colour-histogram intersection of the clothing region with the template',
  ),
  pose: policy(
    'pose',
    0,
    true,
    1.5,
    'Minimum zero-shot probability of the requested pose (it must also rank in the top k)',
  ),
  expression: policy(
    'expression',
    0,
    true,
    1.5,
    'Minimum zero-shot probability of the requested expression (and top k)',
  ),
  facing: policy(
    'facing',
    0,
    false,
    0.5,
    'Minimum zero-shot probability of the requested facing (and top k)',
  ),
  composition: policy(
    'composition',
    0,
    false,
    0.5,
    'Minimum zero-shot probability of the requested shot size / angle (and top k)',
  ),
  scene: policy('scene', 0.2, false, 1, 'Minimum cosine similarity of the panel to the scene description'),
  'copy-paste': policy(
    'copy-paste',
    0.98,
    true,
    2,
    'A crop this similar (cosine) to a template, and pixel-identical, is a paste',
    {
      higherIsBetter: false,
    },
  ),
  // Most items are one phrase, mentioned (1) or not (0): there is no threshold to learn between.
  caption: policy(
    'caption',
    0.5,
    false,
    0.5,
    'Minimum share of an item the VLM caption mentions (most items are one phrase: 1 or 0)',
    { calibratable: false },
  ),
  placement: policy(
    'placement',
    0.35,
    false,
    0.5,
    'Minimum ½·IoU + ½·centre closeness of the box the VLM grounds for a character with its planned region',
  ),
};

export const DEFAULT_TOP_K: Readonly<Record<ZeroShotKey, number>> = {
  pose: 3,
  expression: 3,
  facing: 2,
  composition: 2,
};

export const PARAMETER_DEFAULTS = {
  /** Detections below this detector score are ignored (OWL-ViT scores are low; 0.1 is its demo default). */
  'detection.minScore': 0.1,
  /** Non-maximum suppression across queries: boxes overlapping more than this are one figure. */
  'detection.nms': 0.5,
  /** Weight of appearance (crop-to-template cosine) against IoU when matching detections to cast. */
  'cast.appearanceWeight': 0.3,
  /** Pixel similarity (1 − mean |Δ|/255 on 32×32 thumbnails) at or above which a near-identical crop is a paste. */
  'copy-paste.pixel': 0.95,
  /** CLIP's logit scale: softmax(100 · cosine). */
  'zeroShot.logitScale': 100,
  /** 0 = max over templates (closest view), 1 = mean (CIDS cross). */
  'identity.aggregate': 0,
  /** 0 = max over earlier panels, 1 = mean (CIDS self). */
  'identity.self.aggregate': 1,
  /** Levels per channel of the wardrobe colour histogram. */
  'wardrobe.bins': 8,
} as const;
export type ParameterKey = keyof typeof PARAMETER_DEFAULTS;

export interface JudgeThresholds {
  checks: Record<CheckKey, CheckPolicy>;
  topK: Record<ZeroShotKey, number>;
  params: Record<ParameterKey, number>;
}

const isCheckKey = (k: string): k is CheckKey => (CHECK_KEYS as readonly string[]).includes(k);
const isZeroShotKey = (k: string): k is ZeroShotKey => (ZERO_SHOT_KEYS as readonly string[]).includes(k);
const isParameterKey = (k: string): k is ParameterKey => k in PARAMETER_DEFAULTS;

type Rule = (v: number) => string | null;
const unit: Rule = (v) => (v >= 0 && v <= 1 ? null : 'a number from 0 to 1');
const cosineRule: Rule = (v) => (v >= -1 && v <= 1 ? null : 'a number from −1 to 1');
const flag: Rule = (v) => (v === 0 || v === 1 ? null : '0 (soft) or 1 (hard)');
const nonNegative: Rule = (v) => (v >= 0 ? null : 'a number of at least 0');
const positiveInt: Rule = (v) => (Number.isInteger(v) && v >= 1 ? null : 'a whole number of at least 1');

function ruleFor(key: string): Rule | null {
  if (isCheckKey(key))
    return key === 'identity' || key === 'identity.self' || key === 'scene' ? cosineRule : unit;
  const dot = key.lastIndexOf('.');
  const base = key.slice(0, dot);
  const suffix = key.slice(dot + 1);
  if (dot > 0 && isCheckKey(base)) {
    if (suffix === 'hard') return flag;
    if (suffix === 'weight') return nonNegative;
    if (suffix === 'topK' && isZeroShotKey(base)) return positiveInt;
  }
  if (!isParameterKey(key)) return null;
  if (key === 'identity.aggregate' || key === 'identity.self.aggregate') return flag;
  if (key === 'wardrobe.bins')
    return (v) => (Number.isInteger(v) && v >= 1 && v <= 64 ? null : 'a whole number from 1 to 64');
  if (key === 'zeroShot.logitScale') return (v) => (v > 0 ? null : 'a number greater than 0');
  if (key === 'cast.appearanceWeight') return unit;
  return unit;
}

/** Sentences for the settings screen: one per known key whose value is not allowed. */
export function validateThresholdOverrides(overrides: Readonly<Record<string, number>>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    const rule = ruleFor(key);
    if (!rule) continue;
    const allowed = Number.isFinite(value) ? rule(value) : 'a finite number';
    if (allowed) problems.push(`Threshold "${key}" must be ${allowed}, got ${value}.`);
  }
  return problems;
}

export function resolveThresholds(overrides: Readonly<Record<string, number>> = {}): JudgeThresholds {
  const valid = (key: string): number | undefined => {
    const v = overrides[key];
    if (v === undefined || !Number.isFinite(v)) return undefined;
    const rule = ruleFor(key);
    return rule && rule(v) === null ? v : undefined;
  };
  const checks = {} as Record<CheckKey, CheckPolicy>;
  for (const key of CHECK_KEYS) {
    const d = DEFAULT_POLICIES[key];
    const hard = valid(`${key}.hard`);
    checks[key] = {
      ...d,
      threshold: valid(key) ?? d.threshold,
      hard: hard === undefined ? d.hard : hard === 1,
      weight: valid(`${key}.weight`) ?? d.weight,
    };
  }
  const topK = {} as Record<ZeroShotKey, number>;
  for (const key of ZERO_SHOT_KEYS) topK[key] = valid(`${key}.topK`) ?? DEFAULT_TOP_K[key];
  const params = {} as Record<ParameterKey, number>;
  for (const key of Object.keys(PARAMETER_DEFAULTS) as ParameterKey[])
    params[key] = valid(key) ?? PARAMETER_DEFAULTS[key];
  return { checks, topK, params };
}

/** The check key of a check id: ids are `<key>`, `<key>@<characterId>` or `<key>#<n>`. */
export function checkKeyOf(checkId: string): string {
  const cut = checkId.search(/[@#]/);
  return cut < 0 ? checkId : checkId.slice(0, cut);
}

/** The policy governing a check id; extras (`cast.extra#n`) follow `cast`. */
export function policyFor(thresholds: JudgeThresholds, checkId: string): CheckPolicy | null {
  const key = checkKeyOf(checkId);
  if (isCheckKey(key)) return thresholds.checks[key];
  if (key === 'cast.extra') return thresholds.checks.cast;
  return null;
}

export const asCheckKey = (key: string): CheckKey | null => (isCheckKey(key) ? key : null);
