/**
 * ViStoryBench story folders, as its loader and its output reader expect them
 * (ViStoryBench/vistorybench @ a4933edd0a8e5ed46a97e1df950872c6a5f44858, and the same format at
 * 514cc31f2a7130550b48b8f2c66d18b6b6880a9c, where the files moved to vistorybench/dataset_loader/):
 * - vistorybench/data_process/dataset_process/dataset_load.py, `StoryDataset`: a dataset root holds
 *   one folder per story whose name is all digits (`item.isdigit()`, sorted by `int`), each with a
 *   `story.json` (read as UTF-8) holding `Story_type` ({lang: text}), `Characters` (keyed by the
 *   character's key, with `name_<lang>`, `prompt_<lang>`, `tag` one of non_human /
 *   realistic_human / unrealistic_human, `num_of_appearances`) and `Shots` (each with `index` and
 *   `Setting Description`, `Plot Correspondence`, `Characters Appearing`, `Static Shot
 *   Description`, `Shot Perspective Design`, each {lang: value}; `Characters Appearing` in `en`
 *   lists character keys). Reference pictures are `image/<character key>/*` with .png, .jpg or
 *   .jpeg, and `story_prompt_merge` takes `images[0]` of every character a shot names, so every
 *   listed character has at least one picture here.
 * - vistorybench/data_process/outputs_read/read_outputs.py, `load_outputs`: generated shots at
 *   `{outputs_root}/{method}/{mode}/{language}/{timestamp}/{story_id}/`, images natsorted, the
 *   timestamp `YYYYMMDD-HHMMSS`; the README at 024f12fc949df1dae533ba09d806fe3b4c0a684a names them
 *   `shot_XX.jpg`; at 514cc31 the reader also accepts `{method}/{language}/{mode}/…` and keys each
 *   shot by the number after the last `_` of its file name (`shot_01.png` → shot 1). Our accepted
 *   panels are written there so the benchmark scores them as a method's outputs.
 * An export was checked by running both readers of 514cc31 over it (loader, prompt merge, outputs).
 *
 * Assumed where the sources say nothing: the mode folder is `base` and the language `en`; shot
 * indices start at 1 (as the reader numbers `shot_01`); a character's `tag` is `non_human` when its species says
 * so and `unrealistic_human` otherwise (StoryLoom draws stylised characters). Only accepted panels
 * are shots, so every shot has its picture; WebP pictures are left out (neither reader lists .webp).
 */
import { z } from '../../domain/zod';
import { CAMERA_ANGLES, SHOT_SIZES, findTerm } from '../../domain/vocabulary';
import type { Character } from '../../domain/schema';
import { pad, type DatasetRow } from './rows';

export const VISTORY_ROOT = 'vistorybench';
export const VISTORY_DATASET = 'StoryLoom';
export const VISTORY_METHOD = 'storyloom';
export const VISTORY_MODE = 'base';
export const VISTORY_LANGUAGE = 'en';
const VISTORY_TYPES = new Set(['image/png', 'image/jpeg']);
const EXT: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg' };

export const vistoryAccepts = (mime: string): boolean => VISTORY_TYPES.has(mime);
export const storyFolder = (n: number): string => pad(n, 5);
export const vistoryStoryDir = (n: number): string =>
  `${VISTORY_ROOT}/dataset/${VISTORY_DATASET}/${storyFolder(n)}`;
export const vistoryShotPath = (n: number, timestamp: string, shot: number, mime: string): string =>
  `${VISTORY_ROOT}/outputs/${VISTORY_METHOD}/${VISTORY_MODE}/${VISTORY_LANGUAGE}/${timestamp}/${storyFolder(n)}/shot_${pad(shot, 2)}.${EXT[mime] ?? 'png'}`;

/** `YYYYMMDD-HHMMSS` (UTC), the run folder read_outputs.py accepts. */
export const vistoryTimestamp = (at: Date): string =>
  at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

const En = <T extends z.ZodType>(t: T) => z.object({ en: t });

export const ViStoryStory = z.object({
  Story_type: En(z.string()),
  Characters: z.record(
    z.string().regex(/^[A-Za-z0-9_-]+$/),
    z.object({
      name_en: z.string().min(1),
      prompt_en: z.string(),
      tag: z.enum(['non_human', 'realistic_human', 'unrealistic_human']),
      num_of_appearances: z.number().int().nonnegative(),
    }),
  ),
  Shots: z
    .array(
      z.object({
        index: z.number().int().positive(),
        'Setting Description': En(z.string()),
        'Plot Correspondence': En(z.string()),
        'Characters Appearing': En(z.array(z.string())),
        'Static Shot Description': En(z.string()),
        'Shot Perspective Design': En(z.string()),
      }),
    )
    .min(1),
  /** Ours, ignored by the loader (it reads fields with `.get`): where the story came from. */
  StoryLoom: z.object({ story_id: z.string().min(1), title: z.string(), panel_ids: z.array(z.string()) }),
});
export type ViStoryStory = z.infer<typeof ViStoryStory>;

/** A folder-safe key for a character, unique within the story. */
function characterKeys(rows: readonly DatasetRow[]): Map<string, string> {
  const keys = new Map<string, string>();
  const used = new Set<string>();
  for (const m of rows.flatMap((r) => r.cast)) {
    if (keys.has(m.character_id)) continue;
    const base =
      (m.name || 'character')
        .normalize('NFKD')
        .replace(/[^A-Za-z0-9_-]+/g, '_')
        .replace(/^_+|_+$/g, '') || `C${m.c_id}`;
    let key = base.slice(0, 60);
    for (let i = 2; used.has(key.toLowerCase()); i++) key = `${base.slice(0, 56)}_${i}`;
    used.add(key.toLowerCase());
    keys.set(m.character_id, key);
  }
  return keys;
}

export function identityPrompt(c: Character | undefined): string {
  if (!c) return '';
  const wardrobe = c.wardrobe.map((w) => (w.color ? `${w.color} ${w.item}` : w.item)).join(', ');
  return [
    c.species,
    c.ageRange,
    c.hair && `hair: ${c.hair}`,
    c.eyes && `eyes: ${c.eyes}`,
    c.skin && `skin: ${c.skin}`,
    wardrobe && `wearing ${wardrobe}`,
    ...c.accessories,
    ...c.marks,
  ]
    .filter(Boolean)
    .join(', ');
}

export interface ViStoryFiles {
  storyJson: ViStoryStory;
  /** Reference pictures to write: archive path → image id. */
  references: { path: string; imageId: string }[];
  /** Shots to write: archive path → image id (row order). */
  shots: { path: string; imageId: string }[];
}

/**
 * One story's folder and its generated shots. `rows` are the story's accepted panels whose
 * pictures ViStoryBench can read; `mimeOf` gives a picture's type.
 */
export function viStoryFiles(
  n: number,
  rows: readonly DatasetRow[],
  characters: ReadonlyMap<string, Character>,
  timestamp: string,
  mimeOf: (imageId: string) => string,
): ViStoryFiles | null {
  const shotsRows = rows.filter((r) => vistoryAccepts(mimeOf(r.imageId)));
  if (!shotsRows.length) return null;
  const keys = characterKeys(shotsRows);
  const dir = vistoryStoryDir(n);
  const references: ViStoryFiles['references'] = [];
  const Characters: ViStoryStory['Characters'] = {};
  for (const [id, key] of keys) {
    const member = shotsRows.flatMap((r) => r.cast).find((m) => m.character_id === id)!;
    const refs = member.references.filter((r) => vistoryAccepts(r.mime));
    if (!refs.length) continue; // the loader would fail on `images[0]`
    const c = characters.get(id);
    refs.forEach((r, i) =>
      references.push({ path: `${dir}/image/${key}/${pad(i, 2)}.${EXT[r.mime]}`, imageId: r.imageId }),
    );
    Characters[key] = {
      name_en: member.name || key,
      prompt_en: identityPrompt(c),
      tag:
        /\b(human|person|man|woman|boy|girl|child)\b/i.test(c?.species ?? '') || !c?.species
          ? 'unrealistic_human'
          : 'non_human',
      num_of_appearances: shotsRows.filter((r) => r.cast.some((m) => m.character_id === id)).length,
    };
  }
  const Shots = shotsRows.map((r, i) => {
    const shown = r.cast.filter((m) => keys.get(m.character_id)! in Characters);
    const shot = findTerm(SHOT_SIZES, r.shotSize)?.label ?? r.shotSize;
    const angle = findTerm(CAMERA_ANGLES, r.cameraAngle)?.label ?? r.cameraAngle;
    return {
      index: i + 1,
      'Setting Description': {
        en: [r.scene.location, r.scene.timeOfDay, r.scene.weather, r.scene.lighting, r.scene.mood]
          .filter(Boolean)
          .join(', '),
      },
      'Plot Correspondence': { en: r.caption || r.beat },
      'Characters Appearing': { en: shown.map((m) => keys.get(m.character_id)!) },
      'Static Shot Description': {
        en: r.cast
          .map(
            (m) =>
              `${m.name || 'A character'} ${m.pose.replace(/-/g, ' ')}, ${m.expression}, facing ${m.facing.replace(/-/g, ' ')}${m.action ? `, ${m.action}` : ''}`,
          )
          .join('; '),
      },
      'Shot Perspective Design': { en: `${shot}, ${angle}` },
    };
  });
  const first = shotsRows[0]!;
  return {
    storyJson: {
      Story_type: { en: 'StoryLoom' },
      Characters,
      Shots,
      StoryLoom: {
        story_id: first.storyId,
        title: first.script.title,
        panel_ids: shotsRows.map((r) => r.panelId),
      },
    },
    references,
    shots: shotsRows.map((r, i) => ({
      path: vistoryShotPath(n, timestamp, i + 1, mimeOf(r.imageId)),
      imageId: r.imageId,
    })),
  };
}

export const viStoryJsonPath = (n: number): string => `${vistoryStoryDir(n)}/story.json`;
