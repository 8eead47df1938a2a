/**
 * One dataset row per accepted panel: the panel's picture, its labels (C_ID, P_ID, E_ID per cast
 * member, C_TAG), its caption, the story's script and the reference pictures of its cast. Pure:
 * built from records; the pictures are named here and read by the exporter.
 */
import type { Attempt, Character, Panel, RegionBox, Story } from '../../domain/schema';
import { cId, cTag, eId, pId, type DatasetVocab } from './vocab';

/** One story's records as the exporter reads them: its panels in story order and their attempts. */
export interface StoryRecords {
  story: Story;
  panels: Panel[];
  /** At least the accepted attempt of every panel that has one. */
  attempts: Attempt[];
}

export const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

export interface ReferenceImage {
  imageId: string;
  mime: string;
  /** Position among the character's verified templates. */
  index: number;
  /** Path from the archive's root. */
  path: string;
}

export interface RowCast {
  character_id: string;
  c_id: number;
  name: string;
  pose: string;
  p_id: number;
  expression: string;
  e_id: number;
  facing: string;
  gaze: string;
  action: string;
  region: RegionBox;
  references: ReferenceImage[];
}

export interface ScriptLine {
  speaker_c_id: number | null;
  kind: string;
  text: string;
}

export interface Script {
  title: string;
  premise: string;
  panels: { index: number; caption: string; dialogue: ScriptLine[] }[];
}

export interface DatasetRow {
  storyId: string;
  /** The story's folder name: its id when that is a safe path segment, else a hash of it. */
  storyKey: string;
  panelId: string;
  /** Position of the panel in the story (0-based, counting every panel, accepted or not). */
  panelIndex: number;
  attemptId: string;
  imageId: string;
  /** Name of the panel's picture inside its story folder, e.g. `003.png`. */
  imageName: string;
  caption: string;
  beat: string;
  scene: Panel['scene'];
  shotSize: string;
  cameraAngle: string;
  cTag: number;
  cast: RowCast[];
  script: Script;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** FNV-1a, 32 bits: a stable hash of a string (splits and folder names), not a secret. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A path segment for an id: the id itself when safe, else `h` + its hash (ids are never user text in paths). */
export const pathKey = (id: string): string =>
  SAFE.test(id) ? id : `h${fnv1a(id).toString(16).padStart(8, '0')}`;

export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Where a character's verified template picture lives in the archive (shared by every format that lists it). */
export const referencePath = (characterId: string, index: number, mime: string): string =>
  `references/${pathKey(characterId)}/${pad(index, 2)}.${EXTENSIONS[mime] ?? 'bin'}`;

/** The verified templates of a character that a dataset may carry (PNG, JPEG, WebP). */
export function referenceImages(character: Character | undefined): ReferenceImage[] {
  if (!character?.verified) return [];
  return character.templates
    .map((t, index) => ({ t, index }))
    .filter(({ t }) => t.mime in EXTENSIONS)
    .map(({ t, index }) => ({
      imageId: t.imageId,
      mime: t.mime,
      index,
      path: referencePath(character.id, index, t.mime),
    }));
}

export function storyScript(story: Story, panels: readonly Panel[], vocab: DatasetVocab): Script {
  const speaker = (id: string | null) => (id === null ? null : (vocab.cIds.get(id) ?? null));
  return {
    title: story.title,
    premise: story.premise,
    panels: panels.map((p, index) => ({
      index,
      caption: p.caption,
      dialogue: p.dialogue.map((d) => ({ speaker_c_id: speaker(d.speakerId), kind: d.kind, text: d.text })),
    })),
  };
}

/**
 * The rows of one story: one per panel whose accepted attempt exists and has a picture, in story
 * order. `mimeOf` gives the type of a picture (the exporter knows it from the image store).
 */
export function storyRows(
  records: StoryRecords,
  characters: ReadonlyMap<string, Character>,
  vocab: DatasetVocab,
  mimeOf: (imageId: string) => string = () => 'image/png',
): DatasetRow[] {
  const { story, panels } = records;
  const attempts = new Map(records.attempts.map((a) => [a.id, a]));
  const script = storyScript(story, panels, vocab);
  const storyKey = pathKey(story.id);
  const rows: DatasetRow[] = [];
  panels.forEach((panel, panelIndex) => {
    const attempt = panel.acceptedAttemptId ? attempts.get(panel.acceptedAttemptId) : undefined;
    if (!attempt?.imageId || attempt.panelId !== panel.id) return;
    const mime = mimeOf(attempt.imageId);
    rows.push({
      storyId: story.id,
      storyKey,
      panelId: panel.id,
      panelIndex,
      attemptId: attempt.id,
      imageId: attempt.imageId,
      imageName: `${pad(panelIndex, 3)}.${EXTENSIONS[mime] ?? 'png'}`,
      caption: panel.caption,
      beat: panel.beat,
      scene: panel.scene,
      shotSize: panel.composition.shotSize,
      cameraAngle: panel.composition.cameraAngle,
      cTag: cTag(panel.composition),
      cast: panel.cast.map((m) => {
        const character = characters.get(m.characterId);
        return {
          character_id: m.characterId,
          c_id: cId(vocab, m.characterId),
          name: character?.name ?? '',
          pose: m.pose,
          p_id: pId(m.pose),
          expression: m.expression,
          e_id: eId(m.expression),
          facing: m.facing,
          gaze: m.gaze,
          action: m.action,
          region: { x: m.region.x, y: m.region.y, w: m.region.w, h: m.region.h },
          references: referenceImages(character),
        };
      }),
      script,
    });
  });
  return rows;
}
