/**
 * The dataset export in the real studio: a library seeded through the studio's own import (a bundle
 * made here: three stories, two characters with verified templates, accepted and not accepted panels)
 * is exported from the library as a training dataset; the zip is read back and every line of every
 * format is checked against its schema: ImageFolder `metadata.jsonl` per split (each story in one
 * split), OmniGen2 JSONL (at most 4 input pictures), ViStoryBench `story.json`; every path a line names
 * is in the zip; `vocab.json` holds the label ids; only accepted panels with a picture become rows.
 */
import { unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import {
  SCHEMA_VERSION,
  newCastMember,
  newCharacter,
  newDialogueLine,
  newPanel,
  newStory,
} from '../../src/lib/domain';
import type { Attempt, Panel, Story } from '../../src/lib/domain';
import { ImageFolderRow } from '../../src/lib/bundle/dataset/imagefolder';
import { OmniGen2Row } from '../../src/lib/bundle/dataset/omnigen2';
import { ViStoryStory } from '../../src/lib/bundle/dataset/vistorybench';
import { buildZip } from '../unit/bundle/hostile/build';
import { makePng, sha256 } from './helpers/png';
import { expect, test } from './helpers/studio';

const enc = (s: string) => new TextEncoder().encode(s);

/** A bundle of `stories` stories of three panels each, two accepted with pictures, one without. */
function seedBundle(stories: number): Buffer {
  const files: { name: string; content: Uint8Array }[] = [];
  const images: { sha256: string; mime: 'image/png'; width: number; height: number; bytes: number }[] = [];
  let seed = 1;
  const picture = (w: number, h: number) => {
    const png = makePng(w, h, seed++);
    const hash = sha256(png);
    images.push({ sha256: hash, mime: 'image/png', width: w, height: h, bytes: png.length });
    files.push({ name: `images/${hash}.png`, content: png });
    return hash;
  };
  const characters = ['Mira', 'Bo'].map((name, i) => ({
    ...newCharacter(1_700_000_000_000, name),
    id: `00000000-0000-4000-8000-00000000000${i + 1}`,
    verified: true,
    templates: [{ imageId: picture(48, 64), width: 48, height: 64, mime: 'image/png', addedAt: 1 }],
  }));
  const all: { stories: Story[]; panels: Panel[]; attempts: Attempt[] } = {
    stories: [],
    panels: [],
    attempts: [],
  };
  for (let s = 0; s < stories; s++) {
    const story = {
      ...newStory(1_700_000_000_000, `Story ${s + 1}`),
      id: `10000000-0000-4000-8000-${String(s).padStart(12, '0')}`,
    };
    story.premise = 'Two friends and a lantern.';
    for (let p = 0; p < 3; p++) {
      const panel: Panel = {
        ...newPanel(story.id, 1_700_000_000_000),
        id: `${story.id.slice(0, 24)}${String(s * 10 + p).padStart(12, '0')}`,
        cast: characters.map((c, i) => newCastMember(c.id, i, 2)),
        caption: `Panel ${p + 1} of story ${s + 1}.`,
        dialogue: [newDialogueLine(characters[0]!.id, 'Hold the lantern.')],
      };
      story.panelIds.push(panel.id);
      if (p < 2) {
        const attempt: Attempt = {
          schemaVersion: SCHEMA_VERSION.attempt,
          id: `${panel.id}:0`,
          panelId: panel.id,
          storyId: story.id,
          index: 0,
          seed: 7,
          chunks: [],
          parameters: {
            mode: 'txt2img',
            width: 64,
            height: 64,
            numInferenceSteps: 1,
            guidanceScale: 0,
            scheduler: 'euler',
            strength: null,
            packId: 'tiny',
            baseIndex: null,
          },
          imageId: picture(64, 64),
          report: null,
          action: null,
          timings: {},
          createdAt: 2,
        };
        all.attempts.push(attempt);
        panel.acceptedAttemptId = attempt.id;
        panel.status = 'accepted';
      }
      all.panels.push(panel);
    }
    all.stories.push(story);
  }
  const manifest = {
    formatVersion: 1,
    bundleId: '20000000-0000-4000-8000-000000000001',
    app: { name: 'StoryLoom', version: '0.1.0' },
    exportedAt: '2026-12-01T10:00:00.000Z',
    scope: 'library',
    allAttempts: true,
    characters,
    ...all,
    images,
  };
  return Buffer.from(
    buildZip(
      [
        { name: 'mimetype', content: enc('application/vnd.storyloom.bundle+zip') },
        { name: 'manifest.json', content: enc(JSON.stringify(manifest)) },
        ...files,
      ].map((e) => ({ ...e, method: 0 })),
    ),
  );
}

const lines = (bytes: Uint8Array | undefined) =>
  new TextDecoder()
    .decode(bytes ?? new Uint8Array())
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);

test('a seeded library exports as ImageFolder, OmniGen2 and ViStoryBench, every line valid', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const STORIES = 12;
  await page.goto('/#/library');
  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'seed.storyloom', mimeType: 'application/zip', buffer: seedBundle(STORIES) });
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('import-status')).toContainText(`Imported ${STORIES} stories, 2 characters`);

  await page.getByTestId('library-dataset').locator('summary').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-dataset-run').click();
  const file = await download;
  await expect(page.getByTestId('dataset-status')).toContainText(
    `Exported ${STORIES * 2} accepted panels of ${STORIES} stories`,
  );
  const zip = unzipSync(new Uint8Array(await readFile((await file.path())!)));
  const names = Object.keys(zip);
  const has = (path: string) => names.includes(path);

  // vocab.json: the label ids.
  const vocab = JSON.parse(new TextDecoder().decode(zip['vocab.json'])) as Record<string, unknown>;
  for (const key of ['C_ID', 'P_ID', 'E_ID', 'C_TAG']) expect(Object.keys(vocab), key).toContain(key);

  // ImageFolder: one metadata.jsonl per split, every line valid, its picture in the split's folder,
  // each story in one split only, all accepted panels there once.
  const seen = new Map<string, string>();
  let rows = 0;
  for (const split of ['train', 'test']) {
    const path = `data/${split}/metadata.jsonl`;
    if (!has(path)) continue;
    for (const raw of lines(zip[path])) {
      const row = ImageFolderRow.parse(raw);
      rows++;
      expect(has(`data/${split}/${row.file_name}`), row.file_name).toBe(true);
      expect(seen.get(row.story_id) ?? split, `story ${row.story_id} in one split`).toBe(split);
      seen.set(row.story_id, split);
    }
  }
  expect(rows).toBe(STORIES * 2);
  expect(seen.size).toBe(STORIES);

  // OmniGen2: every line valid, at most 4 input pictures, every path in the zip.
  const omni = names.filter((n) => n.startsWith('omnigen2/') && n.endsWith('.jsonl'));
  expect(omni.length).toBeGreaterThan(0);
  let omniRows = 0;
  for (const path of omni)
    for (const raw of lines(zip[path])) {
      const row = OmniGen2Row.parse(raw);
      omniRows++;
      expect((row.input_images ?? []).length).toBeLessThanOrEqual(4);
      for (const p of [row.output_image, ...(row.input_images ?? [])]) expect(has(p), p).toBe(true);
    }
  expect(omniRows).toBe(STORIES * 2);

  // ViStoryBench: one story.json per story, valid, two shots each.
  const stories = names.filter((n) => /^vistorybench\/dataset\/[^/]+\/\d+\/story\.json$/.test(n));
  expect(stories).toHaveLength(STORIES);
  for (const path of stories) {
    const story = ViStoryStory.parse(JSON.parse(new TextDecoder().decode(zip[path])));
    expect(story.Shots).toHaveLength(2);
  }
  expect(errors).toEqual([]);
});
