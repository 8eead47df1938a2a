/**
 * What the dataset export reads: stories a page at a time (a cursor over story ids, so the whole
 * library is never in memory), each with its panels in story order and only its accepted attempts,
 * and every character (the label vocabulary needs them all; 2,000 are a few MB).
 */
import type { Attempt, Character, Panel, Story } from '../domain';
import type { StoryLoomDB } from './db';
import { isTooNew } from './migrations';
import { INDEX, STORE } from './names';
import { fromStoredCharacter, fromStoredPanel, fromStoredStory } from './records';
import { inTransaction } from './tx';

export interface DatasetStoryRecords {
  story: Story;
  /** In story order. */
  panels: Panel[];
  /** The accepted attempt of each panel that has one. */
  attempts: Attempt[];
}

/**
 * Up to `limit` stories after `afterId` (exclusive; null: from the first), in id order, and the
 * cursor for the next page (null after the last). Records from a newer StoryLoom are skipped.
 */
export async function readStoryPage(
  db: StoryLoomDB,
  afterId: string | null,
  limit: number,
): Promise<{ stories: DatasetStoryRecords[]; next: string | null }> {
  return inTransaction(db, [STORE.stories, STORE.panels, STORE.attempts], 'readonly', 'read', async (tx) => {
    const range = afterId === null ? undefined : IDBKeyRange.lowerBound(afterId, true);
    const stored = await tx.objectStore(STORE.stories).getAll(range, limit);
    const page: DatasetStoryRecords[] = [];
    for (const s of stored) {
      if (isTooNew('story', s)) continue;
      const story = fromStoredStory(s);
      const own = (await tx.objectStore(STORE.panels).index(INDEX.panels.storyId).getAll(story.id))
        .filter((p) => !isTooNew('panel', p))
        .map(fromStoredPanel);
      const order = new Map(story.panelIds.map((id, i) => [id, i]));
      const panels = own
        .filter((p) => order.has(p.id))
        .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      const attempts: Attempt[] = [];
      for (const p of panels) {
        if (!p.acceptedAttemptId) continue;
        const a = await tx.objectStore(STORE.attempts).get(p.acceptedAttemptId);
        if (a) attempts.push(a);
      }
      page.push({ story, panels, attempts });
    }
    const last = stored.at(-1);
    return { stories: page, next: stored.length === limit && last ? last.id : null };
  });
}

export async function countStoriesForDataset(db: StoryLoomDB): Promise<number> {
  return inTransaction(db, [STORE.stories], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.stories).count(),
  );
}

export async function allCharacters(db: StoryLoomDB): Promise<Character[]> {
  return inTransaction(db, [STORE.characters], 'readonly', 'read', async (tx) =>
    (await tx.objectStore(STORE.characters).getAll())
      .filter((c) => !isTooNew('character', c))
      .map(fromStoredCharacter),
  );
}
