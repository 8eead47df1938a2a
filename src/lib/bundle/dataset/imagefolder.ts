/**
 * The Hugging Face `ImageFolder` layout: one folder per split, each with a `metadata.jsonl` whose
 * `file_name` column links a picture (a path relative to that split folder) to its other columns.
 * Source: huggingface/datasets, docs/source/image_dataset.mdx @ 0157a38978f28a5ebbd3502150061919f96a8011
 * ("folder/train/metadata.jsonl", "Your `metadata.jsonl` file must have a `file_name` column",
 * splits as `folder/train/…`, `folder/test/…`). Load with
 * `load_dataset("imagefolder", data_dir="<extracted>/data")`.
 *
 * Splits are by story (every panel of a story in the same split, so a test story is never seen in
 * training), decided by a hash of the story id: the same story always lands in the same split.
 */
import { z } from '../../domain/zod';
import { fnv1a, type DatasetRow } from './rows';

export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];
/** Percentage of stories in the training split. */
export const TRAIN_PERCENT = 90;
/** The folder that holds the splits. */
export const IMAGEFOLDER_ROOT = 'data';

export const splitOf = (storyId: string): Split =>
  fnv1a(`storyloom-split:${storyId}`) % 100 < TRAIN_PERCENT ? 'train' : 'test';

/** The panel's picture, from the archive's root (every format points at this one copy). */
export const panelImagePath = (row: DatasetRow): string =>
  `${IMAGEFOLDER_ROOT}/${splitOf(row.storyId)}/${row.storyKey}/${row.imageName}`;

export const metadataPath = (split: Split): string => `${IMAGEFOLDER_ROOT}/${split}/metadata.jsonl`;

const Region = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).strict();
const Id = z.number().int().nonnegative();

export const ImageFolderRow = z
  .object({
    file_name: z.string().regex(/^[A-Za-z0-9_-]+\/\d{3}\.(png|jpg|webp)$/),
    story_id: z.string().min(1),
    panel_id: z.string().min(1),
    panel_index: z.number().int().nonnegative(),
    /** The caption, under the column name the ImageFolder captioning example uses. */
    text: z.string(),
    C_TAG: Id,
    shot_size: z.string(),
    camera_angle: z.string(),
    scene: z.object({
      location: z.string(),
      time_of_day: z.string(),
      weather: z.string(),
      lighting: z.string(),
      mood: z.string(),
    }),
    cast: z.array(
      z
        .object({
          C_ID: Id,
          character_id: z.string().min(1),
          name: z.string(),
          P_ID: Id,
          pose: z.string(),
          E_ID: Id,
          expression: z.string(),
          facing: z.string(),
          gaze: z.string(),
          action: z.string(),
          region: Region,
          /** Relative to the split folder, like `file_name` (plain strings: not loaded as images). */
          reference_images: z.array(z.string().regex(/^\.\.\/\.\.\/references\//)),
        })
        .strict(),
    ),
    script: z.object({
      title: z.string(),
      premise: z.string(),
      panels: z.array(
        z.object({
          index: z.number().int().nonnegative(),
          caption: z.string(),
          dialogue: z.array(
            z.object({ speaker_C_ID: Id.nullable(), kind: z.string(), text: z.string() }).strict(),
          ),
        }),
      ),
    }),
  })
  .strict();
export type ImageFolderRow = z.infer<typeof ImageFolderRow>;

export function imageFolderRow(row: DatasetRow): ImageFolderRow {
  return {
    file_name: `${row.storyKey}/${row.imageName}`,
    story_id: row.storyId,
    panel_id: row.panelId,
    panel_index: row.panelIndex,
    text: row.caption,
    C_TAG: row.cTag,
    shot_size: row.shotSize,
    camera_angle: row.cameraAngle,
    scene: {
      location: row.scene.location,
      time_of_day: row.scene.timeOfDay,
      weather: row.scene.weather,
      lighting: row.scene.lighting,
      mood: row.scene.mood,
    },
    cast: row.cast.map((m) => ({
      C_ID: m.c_id,
      character_id: m.character_id,
      name: m.name,
      P_ID: m.p_id,
      pose: m.pose,
      E_ID: m.e_id,
      expression: m.expression,
      facing: m.facing,
      gaze: m.gaze,
      action: m.action,
      region: m.region,
      reference_images: m.references.map((r) => `../../${r.path}`),
    })),
    script: {
      title: row.script.title,
      premise: row.script.premise,
      panels: row.script.panels.map((p) => ({
        index: p.index,
        caption: p.caption,
        dialogue: p.dialogue.map((d) => ({ speaker_C_ID: d.speaker_c_id, kind: d.kind, text: d.text })),
      })),
    },
  };
}

/** One line of a split's `metadata.jsonl`, newline included. */
export const imageFolderLine = (row: DatasetRow): string => `${JSON.stringify(imageFolderRow(row))}\n`;
