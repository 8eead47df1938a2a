/**
 * The dataset's label ids, after the paper's C_ID (character), P_ID (pose), E_ID (expression) and
 * C_TAG (composition). Integers, as a training set wants them; `vocab.json` maps each back to our
 * stable string ids and labels.
 *
 * - P_ID and E_ID are positions in POSES and EXPRESSIONS. Those vocabularies are append-only (a
 *   term's id is never renamed or removed, see vocabulary.ts), so a P_ID never changes meaning.
 * - C_TAG is `shotIndex * C_TAG_STRIDE + angleIndex`: with a stride larger than either list, a
 *   term appended to one of them does not shift the tags already given.
 * - C_ID numbers the characters in the order of their (immutable) ids, so one library gives the
 *   same C_IDs on every export; `vocab.json` names the character behind each.
 */
import { CAMERA_ANGLES, EXPRESSIONS, POSES, SHOT_SIZES } from '../../domain/vocabulary';
import type { Character, Composition } from '../../domain/schema';

export const C_TAG_STRIDE = 100;

export interface DatasetVocab {
  /** character id → C_ID */
  readonly cIds: ReadonlyMap<string, number>;
  readonly characters: readonly { id: string; name: string }[];
}

export function buildVocab(characters: readonly Pick<Character, 'id' | 'name'>[]): DatasetVocab {
  const sorted = [...new Map(characters.map((c) => [c.id, c])).values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  return {
    cIds: new Map(sorted.map((c, i) => [c.id, i])),
    characters: sorted.map((c) => ({ id: c.id, name: c.name })),
  };
}

function indexOf(terms: readonly { id: string }[], id: string, what: string): number {
  const i = terms.findIndex((t) => t.id === id);
  if (i < 0) throw new Error(`${what} "${id}" is not in the vocabulary.`);
  return i;
}

export const pId = (pose: string): number => indexOf(POSES, pose, 'The pose');
export const eId = (expression: string): number => indexOf(EXPRESSIONS, expression, 'The expression');
export const cTag = (c: Composition): number =>
  indexOf(SHOT_SIZES, c.shotSize, 'The shot size') * C_TAG_STRIDE +
  indexOf(CAMERA_ANGLES, c.cameraAngle, 'The camera angle');

export function cId(vocab: DatasetVocab, characterId: string): number {
  const id = vocab.cIds.get(characterId);
  if (id === undefined) throw new Error(`The character ${characterId} is not in the dataset's vocabulary.`);
  return id;
}

/** `vocab.json`: every label id with the string id and the label it stands for. */
export function vocabJson(vocab: DatasetVocab): string {
  return JSON.stringify(
    {
      format: 'storyloom-dataset-vocab',
      version: 1,
      C_ID: vocab.characters.map((c, i) => ({ id: i, character_id: c.id, name: c.name })),
      P_ID: POSES.map((t, i) => ({ id: i, term: t.id, label: t.label })),
      E_ID: EXPRESSIONS.map((t, i) => ({ id: i, term: t.id, label: t.label })),
      C_TAG: SHOT_SIZES.flatMap((s, si) =>
        CAMERA_ANGLES.map((a, ai) => ({
          id: si * C_TAG_STRIDE + ai,
          shot_size: s.id,
          camera_angle: a.id,
          label: `${s.label}, ${a.label}`,
        })),
      ),
    },
    null,
    2,
  );
}
