import { afterEach, describe, expect, it } from 'vitest';
import { newDialogueLine } from '../../src/lib/domain';
import type { StoryLoomError } from '../../src/lib/domain';
import { updatePanelLettering, updateStoryLayout } from '../../src/lib/store';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import { storyWithPanels, testService } from './helpers';

const services: LibraryServiceImpl[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});

async function seeded() {
  const s = testService();
  services.push(s);
  const { story, panels } = storyWithPanels('Harbour', [[], []]);
  panels[0]!.dialogue = [{ ...newDialogueLine(null, 'Who goes there?'), id: 'l1' }];
  await s.saveStoryWithPanels(story, panels);
  return { s, db: await s.db(), story, panels };
}

describe("the reader's writes", () => {
  it('a lettering change keeps the rest of the stored panel, including a status changed since the reader loaded', async () => {
    const { s, db, story, panels } = await seeded();
    const p = panels[0]!;
    // The gate marks the panel while the reader is open.
    await db.put('panels', { ...(await db.get('panels', p.id))!, status: 'needs-review' });
    const saved = await updatePanelLettering(db, p.id, {
      dialogue: [{ ...p.dialogue[0]!, text: 'Stop right there!' }],
      lettering: [
        {
          id: 'l1',
          kind: 'shout',
          font: null,
          fontSize: null,
          pinned: true,
          box: { x: 0.1, y: 0.1, w: 0.3, h: 0.2 },
          tail: null,
        },
      ],
    });
    expect(saved.status).toBe('needs-review');
    const again = (await s.getStory(story.id))!.panels[0]!;
    expect(again.dialogue[0]!.text).toBe('Stop right there!');
    expect(again.lettering[0]!.pinned).toBe(true);
    expect(again.cast).toEqual(p.cast);
  });

  it('an invalid change is refused with the sentence and nothing is written', async () => {
    const { s, db, story, panels } = await seeded();
    const before = (await s.getStory(story.id))!.panels[0]!;
    const error = await updatePanelLettering(db, panels[0]!.id, {
      lettering: [{ id: 'l1', kind: null, font: null, fontSize: 500, pinned: false, box: null, tail: null }],
    }).catch((e: unknown) => e as StoryLoomError);
    expect((error as StoryLoomError).message).toMatch(/lettering size must be 6 to 96/);
    expect((await s.getStory(story.id))!.panels[0]).toEqual(before);
  });

  it('page settings are written to the story and survive a read; a missing story says so', async () => {
    const { s, db, story } = await seeded();
    const layout = {
      direction: 'rtl' as const,
      pageSize: 'b5' as const,
      marginMm: 8,
      gutterMm: 3,
      pageTemplates: [null, 'rows-3'],
    };
    await updateStoryLayout(db, story.id, layout);
    expect((await s.getStory(story.id))!.story.layout).toEqual(layout);
    await expect(updateStoryLayout(db, 'gone', layout)).rejects.toThrow(/no longer exists/);
  });
});
