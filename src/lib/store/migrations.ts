/**
 * Per-record schema migrations: pure functions from one record shape to the next.
 * The database ladder (upgrade.ts) runs them over every record when the database version goes up,
 * and every read runs them again, so a record that arrives old by any other route (an older tab
 * writing at the same database version, an imported bundle) is still read correctly.
 * A record newer than this code is refused, never guessed at.
 */
import { PageSettings, SCHEMA_VERSION, StoryLoomError } from '../domain';
import type { Attempt, Character, Panel, Settings, Story, TemplateImage, WardrobeItem } from '../domain';

/** Character as saved before wardrobe items, palettes and the identity cache key existed. */
export interface CharacterV1 {
  schemaVersion: 1;
  id: string;
  name: string;
  artStyle: string;
  species: string;
  ageRange: string;
  hair: string;
  eyes: string;
  skin: string;
  /** Free text, e.g. "red scarf, blue coat and leather boots". */
  outfit: string;
  accessories: string[];
  marks: string[];
  notes: string;
  templates: TemplateImage[];
  verified: boolean;
  createdAt: number;
  updatedAt: number;
}

export type StoredCharacterAny = CharacterV1 | Character;

type RecordKind = keyof typeof SCHEMA_VERSION;

const WARDROBE_MAX_ITEMS = 24;
const WARDROBE_ITEM_MAX_CHARS = 80;

/** "a red scarf, blue coat and leather boots" → ["red scarf", "blue coat", "leather boots"]. */
export function splitOutfit(outfit: string): WardrobeItem[] {
  return outfit
    .split(/,|;|\s+and\s+|\s*&\s*/i)
    .map((part) =>
      part
        .trim()
        .replace(/^(a|an|the)\s+/i, '')
        .trim(),
    )
    .filter((part) => part.length > 0)
    .slice(0, WARDROBE_MAX_ITEMS)
    .map((item) => ({ item: item.slice(0, WARDROBE_ITEM_MAX_CHARS), color: '' }));
}

export function characterV1toV2(v1: CharacterV1): Character {
  const { outfit, ...rest } = v1;
  return {
    ...rest,
    schemaVersion: 2,
    wardrobe: splitOutfit(outfit ?? ''),
    palette: [],
    // 0 = "never compiled": the identity-chunk cache has nothing for it yet.
    templateVersion: 0,
  };
}

/** The version a stored record claims; damaged records are refused with a sentence. */
export function recordVersion(kind: RecordKind, raw: unknown): number {
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1) return version;
  throw new StoryLoomError(
    'storage-failed',
    `A saved ${kind} (id ${idOf(raw)}) is damaged: it has no valid schemaVersion, so StoryLoom cannot read it.`,
  );
}

export function assertNotTooNew(kind: RecordKind, raw: unknown): number {
  const version = recordVersion(kind, raw);
  const known = SCHEMA_VERSION[kind];
  if (version <= known) return version;
  throw new StoryLoomError(
    'schema-too-new',
    `This ${kind} (id ${idOf(raw)}) was saved by a newer version of StoryLoom (record version ${version}; ` +
      `this version reads up to ${known}). Reload the page to get the newest StoryLoom; the record was not changed.`,
  );
}

export function isTooNew(kind: RecordKind, raw: unknown): boolean {
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  return typeof version === 'number' && version > SCHEMA_VERSION[kind];
}

export function migrateCharacter(raw: StoredCharacterAny): Character {
  const version = assertNotTooNew('character', raw);
  if (version === 1) return characterV1toV2(raw as CharacterV1);
  return raw as Character;
}

/** Story as saved before the reader (no page layout); the earliest ones have no coverImageId either. */
export type StoryV1 = Omit<Story, 'schemaVersion' | 'layout' | 'coverImageId'> & {
  schemaVersion: 1;
  coverImageId?: string | null;
};

/** v1 → v2: the story gets the reader's default page settings (left to right, A4, automatic templates). */
export function migrateStory(raw: StoryV1 | Story): Story {
  assertNotTooNew('story', raw);
  if (raw.schemaVersion !== 1) return raw;
  const { schemaVersion: _v, ...rest } = raw;
  return {
    ...rest,
    coverImageId: raw.coverImageId ?? null,
    schemaVersion: SCHEMA_VERSION.story,
    layout: PageSettings.parse({}),
  };
}

/** A dialogue line before lines had ids and kinds. */
interface DialogueLineV1 {
  speakerId: string | null;
  text: string;
}

/** Panel as saved before the status machine (domain/panel-status.ts). */
export type PanelV1 = Omit<PanelV2, 'schemaVersion' | 'status'> & {
  schemaVersion: 1;
  status: 'draft' | 'queued' | 'generating' | 'needs-review' | 'accepted';
};

/** Panel as saved before the reader: no beat, importance or lettering; dialogue lines without id or kind. */
export type PanelV2 = Omit<
  Panel,
  'schemaVersion' | 'dialogue' | 'beat' | 'importance' | 'lettering' | 'plannedBy'
> & {
  schemaVersion: 2;
  dialogue: DialogueLineV1[];
};

/**
 * v1 → v2: "queued" and "generating" were never finished states: the panel is a draft. v1's
 * "accepted" meant both "the gate accepted it" and "the artist accepted it"; alone, a record cannot
 * tell which, so it is read as the artist's (the safe side: nothing automatic undoes it). The
 * database step to v4 (upgrade.ts) tells them apart from the accepted attempt's report.
 */
function panelV1toV2(raw: PanelV1): PanelV2 {
  const { schemaVersion: _v, status, ...rest } = raw;
  const next: Panel['status'] = status === 'queued' || status === 'generating' ? 'draft' : status;
  return { ...rest, schemaVersion: 2, status: next };
}

/**
 * v2 → v3: every dialogue line gets an id the lettering can refer to (its position, which is what
 * identified it until now) and is speech; the panel is ordinary (importance 1), has no beat and no
 * lettering choices yet, so the reader places all its balloons.
 */
function panelV2toV3(raw: PanelV2): Panel {
  return {
    ...raw,
    schemaVersion: SCHEMA_VERSION.panel,
    dialogue: (raw.dialogue ?? []).map((d, i) => ({
      id: `line-${i + 1}`,
      speakerId: d.speakerId,
      kind: 'speech',
      text: d.text,
    })),
    beat: '',
    importance: 1,
    lettering: [],
    plannedBy: null,
  };
}

export function migratePanel(raw: PanelV1 | PanelV2 | Panel): Panel {
  assertNotTooNew('panel', raw);
  let record = raw;
  if (record.schemaVersion === 1) record = panelV1toV2(record);
  if (record.schemaVersion === 2) record = panelV2toV3(record);
  // v3 panels stored before the planner's mark was kept have none: the artist made them or it was lost.
  return record.plannedBy === undefined ? { ...record, plannedBy: null } : record;
}

export function migrateAttempt(raw: Attempt): Attempt {
  assertNotTooNew('attempt', raw);
  return raw;
}

/** Settings as saved before model packs could be chosen (no `models`). */
export type SettingsV1 = Omit<Settings, 'schemaVersion' | 'models'> & { schemaVersion: 1 };

export function migrateSettings(raw: SettingsV1 | Settings): Settings {
  assertNotTooNew('settings', raw);
  if (raw.schemaVersion === 1) {
    const { schemaVersion: _v, ...rest } = raw;
    return {
      ...rest,
      schemaVersion: SCHEMA_VERSION.settings,
      models: { activePackId: null, developerTestPacks: false },
    };
  }
  return raw;
}

function idOf(raw: unknown): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : 'unknown';
}
