/**
 * OmniGen2's training data: JSONL, one sample a line, read by
 * VectorSpaceLab/OmniGen2 @ 0f72fa92564d9f8ba76f53fcc3c05aca2372458f:
 * - docs/FINETUNE.md: a line is `{"task_type", "instruction", "input_images": [paths],
 *   "output_image": path}`; "`input_images` can be omitted for text-to-image (T2I) tasks";
 *   a `.yml` lists the jsonl files with `path`, `type` and `ratio` (data_configs/train/example/ic/ic.yml,
 *   whose jsonl lines use `"task_type": "ic"` with reference pictures in `input_images`).
 * - omnigen2/dataset/omnigen2_train_dataset.py, `process_item`: reads `instruction`,
 *   `input_images` only when present and not None, opens every path with `Image.open` (so paths are
 *   relative to the directory training runs in: run from the extracted archive's root), and picks
 *   the pixel budget with `self.max_input_pixels[len(input_images_path) - 1]`.
 * - options/ft.yml and options/ft_lora.yml: `max_input_pixels` has four entries (1, 2, 3, "or
 *   more" inputs per FINETUNE.md). The code indexes that list by count, so a sample with a fifth
 *   image fails (IndexError) under the shipped configurations. There is no `max_input_images`
 *   constant in the repository; this limit of 4 is that list's length.
 *
 * Which references are kept when a panel's cast has more: one per cast member first, in cast order
 * (so as many characters as possible are shown), then each member's further templates round-robin;
 * `input_characters` names the C_ID behind each kept picture and `dropped_images` counts the rest.
 */
import { z } from '../../domain/zod';
import { CAMERA_ANGLES, SHOT_SIZES, findTerm } from '../../domain/vocabulary';
import type { DatasetRow, ReferenceImage } from './rows';
import { panelImagePath } from './imagefolder';

export const OMNIGEN2_MAX_INPUT_IMAGES = 4;
export const OMNIGEN2_ROOT = 'omnigen2';
export const omnigen2JsonlPath = (split: 'train' | 'test'): string =>
  split === 'train' ? `${OMNIGEN2_ROOT}/jsonls/0.jsonl` : `${OMNIGEN2_ROOT}/heldout/0.jsonl`;
export const OMNIGEN2_CONFIG_PATH = `${OMNIGEN2_ROOT}/storyloom.yml`;

export const OmniGen2Row = z
  .object({
    task_type: z.enum(['ic', 't2i']),
    instruction: z.string().min(1),
    input_images: z.array(z.string().min(1)).min(1).max(OMNIGEN2_MAX_INPUT_IMAGES).nullable(),
    output_image: z.string().min(1),
    input_characters: z.array(z.number().int().nonnegative()).max(OMNIGEN2_MAX_INPUT_IMAGES),
    dropped_images: z.number().int().nonnegative(),
    story_id: z.string().min(1),
    panel_index: z.number().int().nonnegative(),
  })
  .strict()
  .refine((r) => (r.input_images?.length ?? 0) === r.input_characters.length, {
    error: 'Each input image needs its character.',
  })
  .refine((r) => (r.task_type === 'ic') === (r.input_images !== null), {
    error: 'An "ic" sample has input images and a "t2i" sample has none.',
  });
export type OmniGen2Row = z.infer<typeof OmniGen2Row>;

/** The kept references, in the order described above, and how many were left out. */
export function chooseInputs(
  row: DatasetRow,
  max = OMNIGEN2_MAX_INPUT_IMAGES,
): { kept: { cId: number; image: ReferenceImage }[]; dropped: number } {
  const queues = row.cast.map((m) => ({ cId: m.c_id, images: [...m.references] }));
  const total = queues.reduce((n, q) => n + q.images.length, 0);
  const kept: { cId: number; image: ReferenceImage }[] = [];
  while (kept.length < max && queues.some((q) => q.images.length)) {
    for (const q of queues) {
      const image = q.images.shift();
      if (image && kept.length < max) kept.push({ cId: q.cId, image });
    }
  }
  return { kept, dropped: total - kept.length };
}

/** The instruction: what the picture shows, naming each reference by its position ("image 1"). */
export function instructionOf(row: DatasetRow, kept: readonly { cId: number }[]): string {
  const shot = findTerm(SHOT_SIZES, row.shotSize)?.draw ?? row.shotSize;
  const angle = findTerm(CAMERA_ANGLES, row.cameraAngle)?.draw ?? row.cameraAngle;
  const who = row.cast.map((m) => {
    const at = kept.findIndex((k) => k.cId === m.c_id);
    const ref = at >= 0 ? ` (the character in image ${at + 1})` : '';
    const action = m.action ? `, ${m.action}` : '';
    return `${m.name || 'a character'}${ref}: ${m.pose.replace(/-/g, ' ')}, ${m.expression}, facing ${m.facing.replace(/-/g, ' ')}${action}`;
  });
  const scene = [
    row.scene.location,
    row.scene.timeOfDay,
    row.scene.weather,
    row.scene.lighting,
    row.scene.mood,
  ]
    .filter(Boolean)
    .join(', ');
  const parts = [
    row.caption || row.beat,
    who.length ? who.join('; ') : '',
    scene ? `Scene: ${scene}` : '',
    `${shot}, ${angle}`,
  ]
    .map((p) => p.replace(/[.\s]+$/, ''))
    .filter(Boolean);
  return `${parts.join('. ')}.`;
}

export function omniGen2Row(row: DatasetRow): OmniGen2Row {
  const { kept, dropped } = chooseInputs(row);
  return {
    task_type: kept.length ? 'ic' : 't2i',
    instruction: instructionOf(row, kept),
    input_images: kept.length ? kept.map((k) => k.image.path) : null,
    output_image: panelImagePath(row),
    input_characters: kept.map((k) => k.cId),
    dropped_images: dropped,
    story_id: row.storyId,
    panel_index: row.panelIndex,
  };
}

export const omniGen2Line = (row: DatasetRow): string => `${JSON.stringify(omniGen2Row(row))}\n`;

/** The data configuration OmniGen2's trainer reads (`data.data_path` in its options). */
export const omniGen2Config = (): string =>
  [
    '# OmniGen2 data configuration (see docs/FINETUNE.md of VectorSpaceLab/OmniGen2).',
    '# Paths are relative to the extracted archive: run training from there.',
    'data:',
    '  -',
    `    path: "${omnigen2JsonlPath('train')}"`,
    '    type: "ic"',
    '    ratio: !!float 1',
    '',
  ].join('\n');
