import { z } from './zod';
import { StoryLoomError } from './errors';
import { PANEL_STATUSES } from './panel-status';
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  SHOT_SIZES,
  TIMES_OF_DAY,
  ids,
} from './vocabulary';
import type { Term } from './vocabulary';

/** Current per-record schema versions. Older records are migrated by pure functions in store/migrations. */
export const SCHEMA_VERSION = {
  character: 2,
  story: 2,
  panel: 3,
  attempt: 1,
  settings: 2,
} as const;

const listOf = (terms: readonly Term[]) => terms.map((t) => t.id).join(', ');

const vocab = <T extends readonly Term[]>(terms: T, what: string) =>
  z.enum(ids(terms), {
    error: (iss) => `${what} must be one of: ${listOf(terms)}; got "${String(iss.input)}".`,
  });

/**
 * The longest text each field may hold (characters, after trimming): the one source for the schema
 * below and for the length counters at the fields.
 */
export const TEXT_LIMITS = {
  characterName: 80,
  artStyle: 200,
  species: 200,
  ageRange: 40,
  hair: 200,
  eyes: 200,
  skin: 200,
  notes: 4000,
  wardrobeItem: 80,
  wardrobeColour: 40,
  action: 200,
  location: 200,
  weather: 80,
  lighting: 80,
  mood: 80,
  dialogue: 500,
  caption: 1000,
  storyTitle: 120,
  premise: 4000,
  style: 200,
  beat: 200,
} as const;

export type TextField = keyof typeof TEXT_LIMITS;

/** How a sentence names each field: "A character name must be at most 80 characters…". */
export const TEXT_NOUNS: Record<TextField, string> = {
  characterName: 'A character name',
  artStyle: 'An art style',
  species: 'A species / body type',
  ageRange: 'An age range',
  hair: 'A hair description',
  eyes: 'An eyes description',
  skin: 'A skin description',
  notes: 'The notes',
  wardrobeItem: 'A wardrobe item',
  wardrobeColour: 'A wardrobe colour',
  action: 'An action',
  location: 'A location',
  weather: 'A weather description',
  lighting: 'A lighting description',
  mood: 'A mood',
  dialogue: 'A dialogue line',
  caption: 'A caption',
  storyTitle: 'A story title',
  premise: 'A premise',
  style: 'A style',
  beat: 'A beat',
};

/** The field's sentence when `value` is too long for it, else null. */
export const fieldLengthError = (field: TextField, value: string): string | null =>
  lengthError(TEXT_NOUNS[field], value, TEXT_LIMITS[field]);

/** Length as the schema counts it (trimmed). */
export const textLength = (value: string): number => value.trim().length;

/** "A character name must be at most 80 characters; this one has 5,000." or null when it fits. */
export function lengthError(what: string, value: string, max: number): string | null {
  const n = textLength(value);
  if (n <= max) return null;
  return `${what} must be at most ${max.toLocaleString('en')} characters; this one has ${n.toLocaleString('en')}.`;
}

const id = z.string().min(1, 'An id must not be empty.');
const timestamp = z.number().int().nonnegative();
const shortText = (what: string, max = 200) =>
  z.string().trim().max(max, `${what} must be at most ${max} characters.`).default('');

// ---------------------------------------------------------------- character

export const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

export const WardrobeItem = z.object({
  item: z
    .string()
    .trim()
    .min(1, 'A wardrobe item needs a name, for example "red scarf".')
    .max(TEXT_LIMITS.wardrobeItem),
  color: z.string().trim().max(TEXT_LIMITS.wardrobeColour).default(''),
});
export type WardrobeItem = z.infer<typeof WardrobeItem>;

export const TemplateImage = z.object({
  imageId: id,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  mime: z.string(),
  addedAt: timestamp,
});
export type TemplateImage = z.infer<typeof TemplateImage>;

export const Character = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION.character),
  id,
  name: z
    .string({ error: 'A character needs a name.' })
    .trim()
    .min(1, `A character needs a name: enter 1 to ${TEXT_LIMITS.characterName} characters.`)
    .max(
      TEXT_LIMITS.characterName,
      `A character name must be at most ${TEXT_LIMITS.characterName} characters.`,
    ),
  artStyle: shortText('Art style', TEXT_LIMITS.artStyle),
  species: shortText('Species / body type', TEXT_LIMITS.species),
  ageRange: shortText('Age range', TEXT_LIMITS.ageRange),
  hair: shortText('Hair', TEXT_LIMITS.hair),
  eyes: shortText('Eyes', TEXT_LIMITS.eyes),
  skin: shortText('Skin', TEXT_LIMITS.skin),
  wardrobe: z.array(WardrobeItem).max(24, 'A character may have at most 24 wardrobe items.').default([]),
  accessories: z.array(z.string().trim().min(1).max(80)).max(24).default([]),
  marks: z.array(z.string().trim().min(1).max(120)).max(24).default([]),
  palette: z
    .array(z.string().regex(HEX_COLOR, 'Palette colours must be written as #rrggbb, for example #c8553d.'))
    .max(12, 'A palette may have at most 12 colours.')
    .default([]),
  notes: shortText('Notes', TEXT_LIMITS.notes),
  templates: z.array(TemplateImage).max(16, 'A character may have at most 16 reference images.').default([]),
  /** Bumped whenever identity fields or templates change: the identity-chunk cache key. */
  templateVersion: z.number().int().nonnegative(),
  /** The artist approved this template; only verified characters condition generation. */
  verified: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Character = z.infer<typeof Character>;

// ------------------------------------------------------------ panel parts

export const RegionBox = z
  .object({
    x: z.number().min(0, 'The region box must start inside the panel (x ≥ 0).'),
    y: z.number().min(0, 'The region box must start inside the panel (y ≥ 0).'),
    w: z.number().gt(0, 'The region box needs a width greater than 0.'),
    h: z.number().gt(0, 'The region box needs a height greater than 0.'),
  })
  .refine((b) => b.x + b.w <= 1 + 1e-9 && b.y + b.h <= 1 + 1e-9, {
    error: 'The region box must lie inside the panel: x + width and y + height may be at most 1.',
  });
export type RegionBox = z.infer<typeof RegionBox>;

export const Pose = vocab(POSES, 'Pose');
export const Expression = vocab(EXPRESSIONS, 'Expression');
export const Facing = vocab(FACINGS, 'Facing');
export const Gaze = vocab(GAZES, 'Gaze');
export const ShotSize = vocab(SHOT_SIZES, 'Shot size');
export const CameraAngle = vocab(CAMERA_ANGLES, 'Camera angle');

/** Transient attributes of one character in one panel. */
export const CastMember = z.object({
  characterId: id,
  pose: Pose,
  expression: Expression,
  facing: Facing,
  gaze: Gaze,
  action: shortText('Action', TEXT_LIMITS.action),
  region: RegionBox,
});
export type CastMember = z.infer<typeof CastMember>;

export const Scene = z.object({
  location: shortText('Location', TEXT_LIMITS.location),
  timeOfDay: z.enum(TIMES_OF_DAY, {
    error: (iss) => `Time of day must be one of: ${TIMES_OF_DAY.join(', ')}; got "${String(iss.input)}".`,
  }),
  weather: shortText('Weather', TEXT_LIMITS.weather),
  lighting: shortText('Lighting', TEXT_LIMITS.lighting),
  mood: shortText('Mood', TEXT_LIMITS.mood),
});
export type Scene = z.infer<typeof Scene>;

export const Composition = z.object({ shotSize: ShotSize, cameraAngle: CameraAngle });
export type Composition = z.infer<typeof Composition>;

/** How a line is said: its balloon's default shape in the reader. */
export const DIALOGUE_KINDS = ['speech', 'thought', 'shout', 'whisper', 'sfx'] as const;
export type DialogueKind = (typeof DIALOGUE_KINDS)[number];
export const DIALOGUE_KIND_CHOICES: readonly { id: DialogueKind; label: string }[] = [
  { id: 'speech', label: 'Said' },
  { id: 'thought', label: 'Thought' },
  { id: 'shout', label: 'Shouted' },
  { id: 'whisper', label: 'Whispered' },
  { id: 'sfx', label: 'Sound effect' },
];

export const DialogueLine = z.object({
  /** Stable within the panel: the lettering refers to the line by it. */
  id,
  speakerId: id.nullable(),
  kind: z
    .enum(DIALOGUE_KINDS, {
      error: (iss) => `A dialogue line is one of: ${DIALOGUE_KINDS.join(', ')}; got "${String(iss.input)}".`,
    })
    .default('speech'),
  text: z
    .string()
    .trim()
    .min(1, 'A dialogue line needs some text.')
    .max(TEXT_LIMITS.dialogue, `A dialogue line must be at most ${TEXT_LIMITS.dialogue} characters.`),
});
export type DialogueLine = z.infer<typeof DialogueLine>;

/** Panels a story may hold. */
export const MAX_PANELS = 200;

// --------------------------------------------------------------- lettering

/** Balloon shapes; a caption box and a sound effect are balloons too. */
export const BALLOON_KINDS = ['speech', 'thought', 'shout', 'whisper', 'caption', 'sfx'] as const;
export type BalloonKind = (typeof BALLOON_KINDS)[number];
/** The bundled lettering faces: a hand-lettered one for words, a display one for shouts and effects. */
export const LETTERING_FONTS = ['dialogue', 'display'] as const;
export type LetteringFont = (typeof LETTERING_FONTS)[number];
/** The balloon id of a panel's caption (a dialogue line's balloon has the line's id). */
export const CAPTION_BALLOON_ID = 'caption';
export const MAX_DIALOGUE = 20;

const unit = (what: string) =>
  z
    .number()
    .min(0, `${what} must lie inside the panel (0 to 1).`)
    .max(1, `${what} must lie inside the panel (0 to 1).`);

/**
 * The artist's lettering choices for one balloon, kept apart from the picture. A balloon without an
 * entry (or with nulls) is shaped and placed by the reader's layout; a pinned one keeps its box and
 * tail. Boxes and the tail tip are normalised to the panel's cell on the page.
 */
export const Balloon = z.object({
  id,
  kind: z
    .enum(BALLOON_KINDS, {
      error: (iss) => `A balloon is one of: ${BALLOON_KINDS.join(', ')}; got "${String(iss.input)}".`,
    })
    .nullable()
    .default(null),
  font: z.enum(LETTERING_FONTS).nullable().default(null),
  fontSize: z
    .number()
    .min(6, 'A lettering size must be 6 to 96.')
    .max(96, 'A lettering size must be 6 to 96.')
    .nullable()
    .default(null),
  pinned: z.boolean().default(false),
  box: RegionBox.nullable().default(null),
  tail: z
    .object({ x: unit('A tail tip'), y: unit('A tail tip') })
    .nullable()
    .default(null),
});
export type Balloon = z.infer<typeof Balloon>;

export const READING_DIRECTIONS = ['ltr', 'rtl', 'webtoon'] as const;
export type ReadingDirection = (typeof READING_DIRECTIONS)[number];
/** Page sizes in millimetres (webtoon uses the width only). */
export const PAGE_SIZES = {
  a4: { label: 'A4', widthMm: 210, heightMm: 297 },
  letter: { label: 'US Letter', widthMm: 215.9, heightMm: 279.4 },
  b5: { label: 'B5 (manga)', widthMm: 176, heightMm: 250 },
  comic: { label: 'US comic', widthMm: 168.3, heightMm: 260.4 },
} as const;
export type PageSize = keyof typeof PAGE_SIZES;

export const PageSettings = z.object({
  direction: z
    .enum(READING_DIRECTIONS, {
      error: (iss) => `Reading direction is ltr, rtl or webtoon; got "${String(iss.input)}".`,
    })
    .default('ltr'),
  pageSize: z
    .enum(Object.keys(PAGE_SIZES) as [PageSize, ...PageSize[]], {
      error: (iss) =>
        `Page size is one of: ${Object.keys(PAGE_SIZES).join(', ')}; got "${String(iss.input)}".`,
    })
    .default('a4'),
  marginMm: z.number().min(0, 'Margins are 0 to 40 mm.').max(40, 'Margins are 0 to 40 mm.').default(10),
  gutterMm: z.number().min(0, 'Gutters are 0 to 20 mm.').max(20, 'Gutters are 0 to 20 mm.').default(4),
  /** Per page, the artist's template id; null = chosen by the layout. */
  pageTemplates: z.array(z.string().max(40).nullable()).max(MAX_PANELS).default([]),
});
export type PageSettings = z.infer<typeof PageSettings>;

export const PanelStatus = z.enum(PANEL_STATUSES);
export type PanelStatus = z.infer<typeof PanelStatus>;

export const MAX_CAST = 6;

export const Panel = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION.panel),
    id,
    storyId: id,
    cast: z.array(CastMember).max(MAX_CAST, `A panel may have at most ${MAX_CAST} characters.`),
    scene: Scene,
    composition: Composition,
    caption: shortText('Caption', TEXT_LIMITS.caption),
    dialogue: z
      .array(DialogueLine)
      .max(MAX_DIALOGUE, `A panel may have at most ${MAX_DIALOGUE} dialogue lines.`)
      .default([]),
    /** What happens in this panel, in a few words (the plan's beat). */
    beat: shortText('Beat', TEXT_LIMITS.beat),
    /** 1 ordinary, 2 big, 3 a splash page: sizes the panel's cell in the reader. */
    importance: z
      .number()
      .int('Importance is 1 (ordinary), 2 (big) or 3 (splash).')
      .min(1, 'Importance is 1 (ordinary), 2 (big) or 3 (splash).')
      .max(3, 'Importance is 1 (ordinary), 2 (big) or 3 (splash).')
      .default(1),
    lettering: z
      .array(Balloon)
      .max(MAX_DIALOGUE + 1)
      .default([]),
    status: PanelStatus,
    acceptedAttemptId: id.nullable(),
    /**
     * Who wrote this panel's plan when the story planner made it: the model, or the template it falls
     * back to; null for a panel the artist made. Kept as the artist edits, so the board can still say so.
     */
    plannedBy: z
      .enum(['model', 'template'], {
        error: 'A panel is planned by "model" or "template", or by no one (null).',
      })
      .nullable()
      .default(null),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .refine((p) => new Set(p.cast.map((c) => c.characterId)).size === p.cast.length, {
    error: 'A character can appear only once in a panel.',
  })
  .refine((p) => new Set(p.dialogue.map((d) => d.id)).size === p.dialogue.length, {
    error: 'Two dialogue lines of a panel share an id.',
  });
export type Panel = z.infer<typeof Panel>;

// ------------------------------------------------------------------ story

export const Story = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION.story),
  id,
  title: z
    .string()
    .trim()
    .min(1, `A story needs a title: enter 1 to ${TEXT_LIMITS.storyTitle} characters.`)
    .max(TEXT_LIMITS.storyTitle, `A story title must be at most ${TEXT_LIMITS.storyTitle} characters.`),
  premise: shortText('Premise', TEXT_LIMITS.premise),
  style: shortText('Style', TEXT_LIMITS.style),
  panelIds: z.array(id).max(MAX_PANELS, `A story may have at most ${MAX_PANELS} panels.`),
  /** Small cover thumbnail (image id) for the library list; optional. */
  coverImageId: id.nullable().default(null),
  /** How the reader lays the story out: direction, page size, margins, gutters, templates. */
  layout: PageSettings.default(() => PageSettings.parse({})),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Story = z.infer<typeof Story>;

// --------------------------------------------------- attempts and reports

export const ChunkKind = z.enum(['identity', 'transient', 'scene', 'negative']);
export const ConditioningChunk = z.object({
  kind: ChunkKind,
  characterId: id.nullable(),
  text: z.string(),
  weight: z.number(),
});
export type ConditioningChunk = z.infer<typeof ConditioningChunk>;

export const GenerationParameters = z.object({
  mode: z.enum(['txt2img', 'img2img', 'edit']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  numInferenceSteps: z.number().int().positive(),
  guidanceScale: z.number().nonnegative(),
  scheduler: z.string(),
  strength: z.number().min(0).max(1).nullable(),
  packId: z.string(),
  /** For an edit: the index of the attempt it repainted (its panel's). */
  baseIndex: z.number().int().nonnegative().nullable().default(null),
});
export type GenerationParameters = z.infer<typeof GenerationParameters>;

export const CHECK_KINDS = [
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
  // Yes/no questions to Florence-2, which has no question-answering task; no longer written,
  // kept so that attempts judged before the caption checks still load.
  'checklist',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** Each kind in words, for the report. */
export const CHECK_KIND_LABELS: Readonly<Record<CheckKind, string>> = {
  cast: 'character found',
  count: 'number of characters',
  identity: 'identity',
  wardrobe: 'clothing colours',
  pose: 'pose',
  expression: 'expression',
  facing: 'facing',
  scene: 'scene',
  composition: 'composition',
  'copy-paste': 'not pasted from a template',
  caption: 'mentioned in the VLM caption',
  placement: 'located by the VLM where planned',
  checklist: 'VLM yes/no question (older report)',
};

export const JudgeCheck = z.object({
  id: z.string(),
  kind: z.enum(CHECK_KINDS),
  label: z.string(),
  characterId: id.nullable(),
  score: z.number(),
  threshold: z.number(),
  passed: z.boolean(),
  hard: z.boolean(),
  box: RegionBox.nullable(),
  detail: z.string().default(''),
});
export type JudgeCheck = z.infer<typeof JudgeCheck>;

export const ArtistDecision = z.object({
  decision: z.enum(['accept', 'reject', 'override']),
  at: timestamp,
});

export const JudgeReport = z.object({
  checks: z.array(JudgeCheck),
  verdict: z.enum(['pass', 'fail']),
  weightedScore: z.number(),
  judgedAt: timestamp,
  artistDecision: ArtistDecision.nullable().default(null),
});
export type JudgeReport = z.infer<typeof JudgeReport>;

export const GateAction = z.object({
  kind: z.enum(['accept', 'local-edit', 'prompt-tune', 'reseed', 'give-up']),
  reason: z.string(),
  diff: z.array(z.object({ path: z.string(), from: z.unknown(), to: z.unknown() })).default([]),
});
export type GateAction = z.infer<typeof GateAction>;

export const Attempt = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION.attempt),
  id,
  panelId: id,
  storyId: id,
  index: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  chunks: z.array(ConditioningChunk),
  parameters: GenerationParameters,
  imageId: id.nullable(),
  report: JudgeReport.nullable(),
  action: GateAction.nullable(),
  timings: z.record(z.string(), z.number()),
  createdAt: timestamp,
});
export type Attempt = z.infer<typeof Attempt>;

// --------------------------------------------------------------- settings

export const Settings = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION.settings),
  id: z.literal('settings'),
  thresholds: z.record(z.string(), z.number()).default({}),
  budget: z
    .object({
      maxAttempts: z.number().int().min(1).max(50),
      maxSeconds: z.number().int().min(5).max(3600),
    })
    .default({ maxAttempts: 6, maxSeconds: 300 }),
  generation: z
    .object({
      width: z.number().int().min(64).max(2048).multipleOf(8, 'Width must be a multiple of 8.'),
      height: z.number().int().min(64).max(2048).multipleOf(8, 'Height must be a multiple of 8.'),
      numInferenceSteps: z
        .number()
        .int('Steps must be a whole number from 1 to 100.')
        .min(1, 'Steps must be a whole number from 1 to 100.')
        .max(100, 'Steps must be a whole number from 1 to 100.'),
      guidanceScale: z.number().min(0).max(30),
    })
    .default({ width: 512, height: 512, numInferenceSteps: 4, guidanceScale: 0 }),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  models: z
    .object({
      /** The pack the studio draws, judges and plans with; null until the artist installs one. */
      activePackId: z.string().min(1).max(64).nullable(),
      /** Developer switch: offer the test packs (twins that draw noise) in the Models view. */
      developerTestPacks: z.boolean(),
    })
    .default({ activePackId: null, developerTestPacks: false }),
});
export type Settings = z.infer<typeof Settings>;

// ------------------------------------------------------------ images

export const REFERENCE_IMAGE = {
  mimeTypes: ['image/png', 'image/jpeg', 'image/webp'] as const,
  maxBytes: 10 * 1024 * 1024,
  maxSide: 4096,
  minSide: 32,
};

export interface ImageRecord {
  id: string;
  blob: Blob;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  createdAt: number;
}

// ------------------------------------------------------------ validation

/** Parse or throw a StoryLoomError whose message is the first issue, as a sentence. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new StoryLoomError('invalid-input', describeIssues(result.error, what));
}

export function describeIssues(error: z.ZodError, what: string): string {
  const first = error.issues[0];
  if (!first) return `The ${what} is not valid.`;
  const where = first.path.length ? ` (${first.path.join('.')})` : '';
  const sentence = first.message.endsWith('.') ? first.message : `${first.message}.`;
  return first.code === 'custom' || /[A-Z]/.test(first.message[0] ?? '')
    ? sentence
    : `The ${what}${where} is not valid: ${sentence}`;
}
