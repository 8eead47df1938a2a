// The dataset export's reads: stories a page at a time with their panels in order and only the
// accepted attempts, and the whole export over a real (fake-indexeddb) library.
import { describe, expect, it } from 'vitest';
import { openStoryLoomDB, readStoryPage, writeImport } from '../../src/lib/store';
import { librarySource } from '../../src/lib/services/dataset.service';
import { writeDataset } from '../../src/lib/bundle/dataset/export';
import { ImageFolderRow, metadataPath } from '../../src/lib/bundle/dataset/imagefolder';
import { attempt, character, lines, memoryOutput, PNG, story, unzip } from '../unit/dataset/fixtures';
import { freshName } from './helpers';

async function seeded(stories: number) {
  const db = await openStoryLoomDB(freshName('dataset'));
  const hero = character(1, 1);
  const records = Array.from({ length: stories }, (_, i) => story(i, 3, [[hero]]));
  const first = records[0]!;
  // A rejected draft attempt beside the accepted one, and a panel not in the story's order.
  const extra = attempt(first.panels[0]!, 'img-extra');
  extra.id = 'att-draft';
  const image = (id: string) => ({
    id,
    blob: new Blob([PNG], { type: 'image/png' }),
    mime: 'image/png',
    width: 1,
    height: 1,
    bytes: PNG.length,
    createdAt: 1,
  });
  await writeImport(db, {
    bundleId: 'seed',
    bundleName: 'seed',
    characters: [hero],
    stories: records.map((r) => r.story),
    panels: records.flatMap((r) => r.panels),
    attempts: [...records.flatMap((r) => r.attempts), extra],
    images: [
      ...hero.templates.map((t) => image(t.imageId)),
      ...records.flatMap((r) => r.attempts.map((a) => image(a.imageId!))),
    ],
    replacedStories: [],
  });
  return db;
}

describe('readStoryPage', () => {
  it('pages through every story once, in id order, with only accepted attempts', async () => {
    const db = await seeded(7);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await readStoryPage(db, after, 3);
      pages++;
      for (const r of page.stories) {
        seen.push(r.story.id);
        expect(r.panels.map((p) => p.id)).toEqual(r.story.panelIds);
        expect(r.attempts.map((a) => a.id)).toEqual(r.panels.map((p) => p.acceptedAttemptId));
      }
      after = page.next;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(7);
    db.close();
  });

  it('feeds the export: every accepted panel of the library becomes a row', async () => {
    const db = await seeded(12);
    const out = memoryOutput();
    const summary = await writeDataset(librarySource(db, 5), out, {
      formats: ['imagefolder'],
      exportedAt: new Date(0),
    });
    expect(summary).toMatchObject({ stories: 12, rows: 36, missingImages: 0 });
    const files = unzip(out.parts[0]!);
    const rows = [...lines(files[metadataPath('train')]), ...lines(files[metadataPath('test')])].map((l) =>
      ImageFolderRow.parse(l),
    );
    expect(rows).toHaveLength(36);
    db.close();
  });
});
