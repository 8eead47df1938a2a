/**
 * Pure glue between the judge's core and the world around it: model outputs to ports' shapes,
 * template references, earlier accepted panels of a story, and the boxes the UI draws.
 */
import type { Attempt, JudgeCheck, JudgeReport, Panel, RegionBox } from '../domain';
import { clampBox, clothingBox, colorHistogram } from './ports';
import type { ImageLike } from './ports';
import { checkKeyOf } from './thresholds';
import { isSkipped } from './verdict';

/**
 * [x0, y0, x1, y1] → a normalised box, or null. OWL-ViT's post_process_object_detection without
 * target sizes gives corners in [0, 1]; Florence-2's post_process_generation gives pixels of the
 * image size it was passed: pass that width and height.
 */
export function cornersToBox(corners: readonly number[], width = 1, height = 1): RegionBox | null {
  const [x0, y0, x1, y1] = corners;
  if (![x0, y0, x1, y1].every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return clampBox({ x: x0! / width, y: y0! / height, w: (x1! - x0!) / width, h: (y1! - y0!) / height });
}

/** Unit length copy (zeros stay zeros). */
export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (!(norm > 0)) return new Float32Array(v);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** RGBA → RGB; transparent pixels become white, as a template's background is drawn. */
export function rgbOf(image: ImageLike): Uint8ClampedArray {
  const n = image.width * image.height;
  const out = new Uint8ClampedArray(n * 3);
  for (let i = 0; i < n; i++) {
    const a = (image.data[i * 4 + 3] ?? 255) / 255;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = (image.data[i * 4 + c] ?? 0) * a + 255 * (1 - a);
  }
  return out;
}

/** Cache key of a character's template references: they change only with templateVersion. */
export const templateKey = (characterId: string, templateVersion: number): string =>
  `${characterId}@${templateVersion}`;

/** Wardrobe reference of a template: the clothing band of the whole template picture. */
export const templateHistogram = (image: ImageLike, bins: number): Float32Array =>
  colorHistogram(image, clothingBox({ x: 0, y: 0, w: 1, h: 1 }), bins);

/** Where an accepted attempt found a character: the box of its identity check (or cast check). */
export function characterBox(report: JudgeReport | null, characterId: string): RegionBox | null {
  if (!report) return null;
  const pick = (key: string) =>
    report.checks.find((c) => c.characterId === characterId && checkKeyOf(c.id) === key && !isSkipped(c));
  const check = pick('identity') ?? pick('cast');
  return check?.passed || check?.kind === 'identity' ? (check.box ?? null) : null;
}

export interface EarlierCrop {
  attemptId: string;
  imageId: string;
  characterId: string;
  box: RegionBox;
}

/**
 * The accepted panels that come before `panelId` in the story and show a character of its cast:
 * one crop per (accepted attempt, character), at the box its own report found. Newest first,
 * at most `limit` per character.
 */
export function earlierCrops(
  storyPanels: readonly Pick<Panel, 'id' | 'acceptedAttemptId' | 'cast'>[],
  panelId: string,
  acceptedAttempts: ReadonlyMap<string, Pick<Attempt, 'id' | 'imageId' | 'report'>>,
  limit = 4,
): EarlierCrop[] {
  const at = storyPanels.findIndex((p) => p.id === panelId);
  const here = storyPanels[at];
  if (!here) return [];
  const wanted = new Set(here.cast.map((m) => m.characterId));
  const out: EarlierCrop[] = [];
  const perCharacter = new Map<string, number>();
  for (const p of storyPanels.slice(0, at).reverse()) {
    const attempt = p.acceptedAttemptId ? acceptedAttempts.get(p.acceptedAttemptId) : undefined;
    if (!attempt?.imageId) continue;
    for (const m of p.cast) {
      if (!wanted.has(m.characterId) || (perCharacter.get(m.characterId) ?? 0) >= limit) continue;
      const box = characterBox(attempt.report, m.characterId);
      if (!box) continue;
      out.push({ attemptId: attempt.id, imageId: attempt.imageId, characterId: m.characterId, box });
      perCharacter.set(m.characterId, (perCharacter.get(m.characterId) ?? 0) + 1);
    }
  }
  return out;
}

/** Check kinds every full report of a panel with a cast has (the e2e's and the UI's list). */
export const REPORT_KINDS: readonly JudgeCheck['kind'][] = [
  'cast',
  'count',
  'identity',
  'wardrobe',
  'pose',
  'expression',
  'facing',
  'scene',
  'composition',
  'copy-paste',
  'caption',
  'placement',
];

/** The decided reports among attempts, for calibration. */
export const decidedReports = (attempts: readonly Pick<Attempt, 'report'>[]): JudgeReport[] =>
  attempts.flatMap((a) => (a.report?.artistDecision ? [a.report] : []));

/** A report with the artist's decision recorded (a new object; the old one is left as it was). */
export function withDecision(
  report: JudgeReport,
  decision: 'accept' | 'reject' | 'override',
  at: number,
): JudgeReport {
  return { ...report, artistDecision: { decision, at: Math.max(0, Math.floor(at)) } };
}
