/**
 * The planner's contract: what an artist asks for (a plan request), what the model writes in stage 1
 * (the outline: one beat per panel) and in stage 2 (one panel plan per call), and how a validated panel
 * plan becomes a real domain Panel.
 *
 * The zod schemas are the one source: the JSON schema that constrains decoding is generated from them
 * (`z.toJSONSchema`), and every model answer is validated again by them. So each schema is written in
 * the subset that the constraint engine enforces token by token — enums, `const`, maxLength, min/max
 * items, integer bounds, `additionalProperties: false` — and nothing it cannot (no `pattern`, no
 * `format`, no refinements that the JSON schema would not carry). Strings are not trimmed here: the
 * engine counts raw characters, so trimming is the converter's job.
 */
import { z } from '../domain/zod';
import {
  CAMERA_ANGLES,
  DIALOGUE_KINDS,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  MAX_CAST,
  POSES,
  READING_DIRECTIONS,
  SHOT_SIZES,
  SCHEMA_VERSION,
  StoryLoomError,
  TEXT_LIMITS,
  TIMES_OF_DAY,
  defaultRegion,
  ids,
  newDialogueLine,
  newPanel,
  type Panel,
  type ReadingDirection,
} from '../domain';

/** The bounds of a plan: one table for the schemas, the prompts and the form's counters. */
export const PLAN_LIMITS = {
  premise: TEXT_LIMITS.premise,
  style: TEXT_LIMITS.style,
  castMin: 1,
  castMax: 8,
  castName: TEXT_LIMITS.characterName,
  panelCountMin: 1,
  panelCountMax: 40,
  /** What the model may write: short, so a small model finishes a panel in a few hundred tokens. */
  title: 80,
  beat: 120,
  action: 80,
  location: 80,
  weather: 40,
  lighting: 40,
  mood: 40,
  caption: 200,
  dialogueText: 120,
  dialogueLines: 3,
} as const;

/** Where a panel's plan came from: the model, or the template (no model, or the model failed twice). */
export const PLAN_SOURCES = ['model', 'template'] as const;
export type PlanSource = (typeof PLAN_SOURCES)[number];

const TWO_POW_32 = 4294967296;

// ------------------------------------------------------------------ request

export const PlanCastEntry = z.object({
  id: z.string().min(1, 'A cast member needs a character id.'),
  name: z
    .string()
    .trim()
    .min(1, 'A cast member needs a name.')
    .max(PLAN_LIMITS.castName, `A character name must be at most ${PLAN_LIMITS.castName} characters.`),
});
export type PlanCastEntry = z.infer<typeof PlanCastEntry>;

/** What the artist asks for: a premise, the chosen cast, how many panels, a style, a reading direction. */
export const PlanRequest = z.object({
  premise: z
    .string({ error: 'A plan needs a premise.' })
    .trim()
    .min(1, `A plan needs a premise: write 1 to ${PLAN_LIMITS.premise.toLocaleString('en')} characters.`)
    .max(
      PLAN_LIMITS.premise,
      `A premise must be at most ${PLAN_LIMITS.premise.toLocaleString('en')} characters.`,
    ),
  cast: z
    .array(PlanCastEntry)
    .min(
      PLAN_LIMITS.castMin,
      `Choose ${PLAN_LIMITS.castMin} to ${PLAN_LIMITS.castMax} characters for the cast.`,
    )
    .max(
      PLAN_LIMITS.castMax,
      `Choose ${PLAN_LIMITS.castMin} to ${PLAN_LIMITS.castMax} characters for the cast.`,
    )
    .refine((cast) => new Set(cast.map((c) => c.id)).size === cast.length, {
      error: 'A character can be chosen for the cast only once.',
    }),
  panelCount: z
    .number({
      error: `The number of panels must be a whole number from ${PLAN_LIMITS.panelCountMin} to ${PLAN_LIMITS.panelCountMax}.`,
    })
    .int(
      `The number of panels must be a whole number from ${PLAN_LIMITS.panelCountMin} to ${PLAN_LIMITS.panelCountMax}.`,
    )
    .min(
      PLAN_LIMITS.panelCountMin,
      `The number of panels must be ${PLAN_LIMITS.panelCountMin} to ${PLAN_LIMITS.panelCountMax}.`,
    )
    .max(
      PLAN_LIMITS.panelCountMax,
      `The number of panels must be ${PLAN_LIMITS.panelCountMin} to ${PLAN_LIMITS.panelCountMax}.`,
    ),
  style: z
    .string()
    .trim()
    .max(PLAN_LIMITS.style, `A style must be at most ${PLAN_LIMITS.style} characters.`)
    .default(''),
  direction: z
    .enum(READING_DIRECTIONS, {
      error: (iss) => `Reading direction is ltr, rtl or webtoon; got "${String(iss.input)}".`,
    })
    .default('ltr'),
  /** Seeds the template fallback (and the model's sampling, where it samples): a plan can be replayed. */
  seed: z
    .number()
    .int(`A seed must be a whole number from 0 to ${TWO_POW_32 - 1}.`)
    .min(0, `A seed must be a whole number from 0 to ${TWO_POW_32 - 1}.`)
    .max(TWO_POW_32 - 1, `A seed must be a whole number from 0 to ${TWO_POW_32 - 1}.`)
    .default(0),
});
export type PlanRequest = z.infer<typeof PlanRequest>;
export type PlanRequestInput = z.input<typeof PlanRequest>;

/** A typed value, or one sentence that says what was wrong and what is allowed. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Check what the artist asked for; the sentence names the first problem. */
export function parsePlanRequest(input: unknown): Checked<PlanRequest> {
  const r = PlanRequest.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: firstIssue(r.error) };
}

/** Like parsePlanRequest, but throws a StoryLoomError('invalid-input') with the sentence. */
export function planRequest(input: unknown): PlanRequest {
  const r = parsePlanRequest(input);
  if (!r.ok) throw new StoryLoomError('invalid-input', r.error);
  return r.value;
}

// ------------------------------------------------------------------ outline

/**
 * A bounded string, counted in code points as JSON Schema's maxLength is (zod's own max counts UTF-16
 * units, which would reject an emoji-rich string the constraint allowed).
 */
const text = (max: number, what: string) =>
  z
    .string()
    .refine((v) => [...v].length <= max, { error: `${what} must be at most ${max} characters.` })
    .meta({ maxLength: max });

const importance = z
  .number()
  .int('Importance is 1 (ordinary), 2 (big) or 3 (splash).')
  .min(1, 'Importance is 1 (ordinary), 2 (big) or 3 (splash).')
  .max(3, 'Importance is 1 (ordinary), 2 (big) or 3 (splash).');

const castIds = (request: PlanRequest) => request.cast.map((c) => c.id) as [string, ...string[]];

const enumOf = (values: readonly [string, ...string[]], what: string) =>
  z.enum(values, {
    error: (iss) => `${what} must be one of: ${values.join(', ')}; got "${String(iss.input)}".`,
  });

/** Stage 1's zod schema: a title and exactly `panelCount` beats, each with its cast (chosen ids, no repeats). */
export function outlineSchema(request: PlanRequest) {
  const beatCastMax = Math.min(request.cast.length, MAX_CAST);
  const beat = z.object({
    summary: text(PLAN_LIMITS.beat, 'A beat'),
    // No uniqueItems: the constraint engine (4.3.0) lets a repeated item through and then dead-ends;
    // validateOutline drops repeats instead.
    cast: z
      .array(enumOf(castIds(request), 'A beat’s cast member'))
      .max(beatCastMax, `A beat may have at most ${beatCastMax} characters.`),
    importance,
  });
  return z.object({
    title: text(PLAN_LIMITS.title, 'A title'),
    beats: z
      .array(beat)
      .min(request.panelCount, `The outline must have exactly ${request.panelCount} beats.`)
      .max(request.panelCount, `The outline must have exactly ${request.panelCount} beats.`),
  });
}
export type Outline = z.infer<ReturnType<typeof outlineSchema>>;
export type OutlineBeat = Outline['beats'][number];

// --------------------------------------------------------------- panel plan

const vocab = (values: readonly [string, ...string[]], what: string) => enumOf(values, what);

/**
 * Stage 2's zod schema for one panel. The cast is the beat's cast, in the beat's order (a tuple whose
 * `characterId` each allows one chosen id), so a panel can neither invent a character nor repeat one;
 * the speaker of a line is one of those ids or null (a narrator, a sound).
 */
export function panelPlanSchema(request: PlanRequest, beat: Pick<OutlineBeat, 'cast'>) {
  const chosen = new Set(castIds(request));
  const inPanel = beat.cast.filter((id) => chosen.has(id));
  const member = (id: string) =>
    z.object({
      characterId: enumOf([id], 'A cast member'),
      pose: vocab(ids(POSES), 'Pose'),
      expression: vocab(ids(EXPRESSIONS), 'Expression'),
      facing: vocab(ids(FACINGS), 'Facing'),
      gaze: vocab(ids(GAZES), 'Gaze'),
      action: text(PLAN_LIMITS.action, 'An action'),
    });
  const speaker =
    inPanel.length > 0 ? enumOf(inPanel as [string, ...string[]], 'A speaker').nullable() : z.null();
  return z.object({
    cast: z.tuple(inPanel.map(member) as [ReturnType<typeof member>, ...ReturnType<typeof member>[]]),
    scene: z.object({
      location: text(PLAN_LIMITS.location, 'A location'),
      timeOfDay: vocab(TIMES_OF_DAY, 'Time of day'),
      weather: text(PLAN_LIMITS.weather, 'A weather description'),
      lighting: text(PLAN_LIMITS.lighting, 'A lighting description'),
      mood: text(PLAN_LIMITS.mood, 'A mood'),
    }),
    composition: z.object({
      shotSize: vocab(ids(SHOT_SIZES), 'Shot size'),
      cameraAngle: vocab(ids(CAMERA_ANGLES), 'Camera angle'),
    }),
    caption: text(PLAN_LIMITS.caption, 'A caption'),
    dialogue: z
      .array(
        z.object({
          speakerId: speaker,
          kind: vocab(DIALOGUE_KINDS, 'A dialogue kind'),
          text: text(PLAN_LIMITS.dialogueText, 'A dialogue line'),
        }),
      )
      .max(
        PLAN_LIMITS.dialogueLines,
        `A planned panel may have at most ${PLAN_LIMITS.dialogueLines} dialogue lines.`,
      ),
  });
}

/** One panel's plan as the model (or the template) writes it. */
export interface PanelPlan {
  cast: {
    characterId: string;
    pose: (typeof POSES)[number]['id'];
    expression: (typeof EXPRESSIONS)[number]['id'];
    facing: (typeof FACINGS)[number]['id'];
    gaze: (typeof GAZES)[number]['id'];
    action: string;
  }[];
  scene: {
    location: string;
    timeOfDay: (typeof TIMES_OF_DAY)[number];
    weather: string;
    lighting: string;
    mood: string;
  };
  composition: {
    shotSize: (typeof SHOT_SIZES)[number]['id'];
    cameraAngle: (typeof CAMERA_ANGLES)[number]['id'];
  };
  caption: string;
  dialogue: { speakerId: string | null; kind: (typeof DIALOGUE_KINDS)[number]; text: string }[];
}

/** One planned panel: its place, its beat, its plan, and where the plan came from. */
export interface PlannedPanel {
  index: number;
  beat: OutlineBeat;
  plan: PanelPlan;
  source: PlanSource;
}

/** A whole plan: the outline and one planned panel per beat. */
export interface StoryPlan {
  request: PlanRequest;
  outline: Outline;
  panels: PlannedPanel[];
  direction: ReadingDirection;
}

// -------------------------------------------------------------- JSON schema

export type JsonSchema = { [key: string]: unknown };

/** The JSON schema for a zod schema, in the form the constraint engine takes (no `$schema`, no pattern/format). */
export function toConstraintSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'throw',
  }) as JsonSchema;
  delete json.$schema;
  const out = mergeNullableEnums(json) as JsonSchema;
  assertEnforceable(out);
  // Fixed separators, the ones a model has seen most (Python's json.dumps): no free whitespace, so no
  // tokens are spent on it and no run of whitespace can corner the engine.
  out['x-guidance'] = { whitespace_flexible: false, item_separator: ', ', key_separator: ': ' };
  return out;
}

/**
 * zod writes `enum.nullable()` as `anyOf: [{type: string, enum}, {type: null}]`; the engine (4.3.0)
 * ignores the enum inside that anyOf and lets any string through. The equivalent
 * `{type: [string, null], enum: [..., null]}` it enforces.
 */
function mergeNullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(mergeNullableEnums);
  if (node === null || typeof node !== 'object') return node;
  const entries = Object.entries(node).map(([k, v]) => [k, mergeNullableEnums(v)] as const);
  const out = Object.fromEntries(entries) as Record<string, unknown>;
  const any = out.anyOf;
  if (Array.isArray(any) && any.length === 2) {
    const isNull = (x: unknown) => JSON.stringify(x) === '{"type":"null"}';
    const other = any.find((x) => !isNull(x)) as Record<string, unknown> | undefined;
    if (
      any.some(isNull) &&
      other &&
      Array.isArray(other.enum) &&
      Object.keys(other).every((k) => k === 'type' || k === 'enum')
    ) {
      delete out.anyOf;
      out.type = [other.type ?? 'string', 'null'];
      out.enum = [...other.enum, null];
    }
  }
  return out;
}

/** Stage 1's JSON schema (for `StructuredOutputProcessor`). */
export const outlineJsonSchema = (request: PlanRequest): JsonSchema =>
  toConstraintSchema(outlineSchema(request));

/** Stage 2's JSON schema for the panel of `beat`. */
export const panelPlanJsonSchema = (request: PlanRequest, beat: Pick<OutlineBeat, 'cast'>): JsonSchema =>
  toConstraintSchema(panelPlanSchema(request, beat));

/** The constraint engine rejects `pattern` and `format`: fail here, where the schema is made, instead. */
function assertEnforceable(node: unknown, path = '#'): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => assertEnforceable(n, `${path}/${i}`));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const key of ['pattern', 'format', 'patternProperties'])
    if (key in node)
      throw new StoryLoomError(
        'invalid-input',
        `The plan schema at ${path} uses "${key}", which constrained decoding cannot enforce.`,
      );
  for (const [key, value] of Object.entries(node)) assertEnforceable(value, `${path}/${key}`);
}

// --------------------------------------------------------------- validation

/** Parse the model's text as JSON and validate it as the outline; a sentence when it does not fit. */
export function validateOutline(textIn: string, request: PlanRequest): Checked<Outline> {
  const r = validateJson(textIn, outlineSchema(request), 'outline');
  if (!r.ok) return r;
  // A character named twice in a beat is in it once.
  return {
    ok: true,
    value: { ...r.value, beats: r.value.beats.map((b) => ({ ...b, cast: [...new Set(b.cast)] })) },
  };
}

/** Parse the model's text as JSON and validate it as the panel plan for `beat`; a sentence when it does not fit. */
export function validatePanelPlan(
  textIn: string,
  request: PlanRequest,
  beat: Pick<OutlineBeat, 'cast'>,
): Checked<PanelPlan> {
  return validateJson(textIn, panelPlanSchema(request, beat), 'panel plan') as Checked<PanelPlan>;
}

function validateJson<T>(textIn: string, schema: z.ZodType<T>, what: string): Checked<T> {
  let value: unknown;
  try {
    value = JSON.parse(dropTrailingCommas(textIn));
  } catch {
    const shown = textIn.length > 60 ? `${textIn.slice(0, 60)}…` : textIn;
    return { ok: false, error: `The ${what} is not valid JSON: "${shown}".` };
  }
  const r = schema.safeParse(value);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, error: `The ${what} does not fit: ${firstIssue(r.error)}` };
}

/**
 * Remove a comma that stands before a closing `]` or `}` (outside strings). The engine (4.3.0) treats the
 * state after an array's item separator like the state after `[`, so it lets `["a", ]` through
 * (src/engine/json.ts, transition(), case 'array-value'); everything else it allows is JSON.
 */
export function dropTrailingCommas(json: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += json[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === ',' && /^\s*[\]}]/.test(json.slice(i + 1))) continue;
    out += c;
  }
  return out;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The value does not fit.';
  const at = issue.path.length > 0 ? ` (at ${issue.path.join('.')})` : '';
  return `${issue.message}${at}`;
}

// ---------------------------------------------------------------- converter

export interface PanelTarget {
  storyId: string;
  now?: number;
}

/**
 * A real domain Panel (a draft) from a validated plan: made by the domain factories, strings trimmed
 * and cut to the domain's limits, blank dialogue lines dropped, regions laid side by side, the beat's
 * summary and importance kept. The result passes the domain's Panel schema.
 */
export function panelPlanToPanel(
  planned: Pick<PlannedPanel, 'beat' | 'plan'> & { source?: PlanSource },
  target: PanelTarget,
): Panel {
  const { beat, plan } = planned;
  const panel = newPanel(target.storyId, target.now);
  const seen = new Set<string>();
  const cast = plan.cast.filter((m) => (seen.has(m.characterId) ? false : (seen.add(m.characterId), true)));
  const castIdsInPanel = new Set(cast.map((m) => m.characterId));
  return {
    ...panel,
    schemaVersion: SCHEMA_VERSION.panel,
    plannedBy: planned.source ?? null,
    cast: cast.slice(0, MAX_CAST).map((m, i, all) => ({
      characterId: m.characterId,
      pose: m.pose,
      expression: m.expression,
      facing: m.facing,
      gaze: m.gaze,
      action: clip(m.action, TEXT_LIMITS.action),
      region: defaultRegion(i, all.length),
    })),
    scene: {
      location: clip(plan.scene.location, TEXT_LIMITS.location),
      timeOfDay: plan.scene.timeOfDay,
      weather: clip(plan.scene.weather, TEXT_LIMITS.weather),
      lighting: clip(plan.scene.lighting, TEXT_LIMITS.lighting),
      mood: clip(plan.scene.mood, TEXT_LIMITS.mood),
    },
    composition: { shotSize: plan.composition.shotSize, cameraAngle: plan.composition.cameraAngle },
    caption: clip(plan.caption, TEXT_LIMITS.caption),
    dialogue: plan.dialogue
      .map((d) => ({ ...d, text: clip(d.text, TEXT_LIMITS.dialogue) }))
      .filter((d) => d.text.length > 0)
      .map((d) => ({
        ...newDialogueLine(
          d.speakerId !== null && castIdsInPanel.has(d.speakerId) ? d.speakerId : null,
          d.text,
        ),
        kind: d.kind,
      })),
    beat: clip(beat.summary, TEXT_LIMITS.beat),
    importance: beat.importance,
  };
}

const clip = (value: string, max: number): string => value.trim().slice(0, max).trim();
