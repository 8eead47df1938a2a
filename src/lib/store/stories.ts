/**
 * Stories and their panels. A story and all its panels are written in one transaction; deleting a
 * story takes its panels, attempts and their images with it, also in one transaction.
 */
import { Panel, Story, StoryLoomError, nextPanelState, parseOrThrow } from '../domain';
import type { StoryLoomDB } from './db';
import { isTooNew } from './migrations';
import { INDEX, STORE } from './names';
import { fromStoredPanel, fromStoredStory, toStoredPanel, toStoredStory } from './records';
import type { StoredStory } from './schema';
import { inTransaction } from './tx';

export interface StoryWithPanels {
  story: Story;
  panels: Panel[];
}

export async function getStoryWithPanels(db: StoryLoomDB, id: string): Promise<StoryWithPanels | undefined> {
  const found = await inTransaction(db, [STORE.stories, STORE.panels], 'readonly', 'read', async (tx) => {
    const story = await tx.objectStore(STORE.stories).get(id);
    if (!story) return undefined;
    const panels = await tx.objectStore(STORE.panels).index(INDEX.panels.storyId).getAll(id);
    return { story, panels };
  });
  if (!found) return undefined;
  const story = fromStoredStory(found.story);
  return { story, panels: inStoryOrder(story, found.panels.map(fromStoredPanel)) };
}

export async function getStory(db: StoryLoomDB, id: string): Promise<Story | undefined> {
  const stored = await inTransaction(db, [STORE.stories], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.stories).get(id),
  );
  return stored ? fromStoredStory(stored) : undefined;
}

/** Every readable story; records from a newer StoryLoom are left out (opening one explains why). */
export async function listStories(db: StoryLoomDB): Promise<Story[]> {
  const all = await inTransaction(db, [STORE.stories], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.stories).getAll(),
  );
  return readable(all);
}

export async function listRecentStories(db: StoryLoomDB, limit: number): Promise<Story[]> {
  const stored = await inTransaction(db, [STORE.stories], 'readonly', 'read', async (tx) => {
    const rows: StoredStory[] = [];
    let cursor = await tx.objectStore(STORE.stories).index(INDEX.stories.updatedAt).openCursor(null, 'prev');
    while (cursor && rows.length < limit) {
      rows.push(cursor.value);
      cursor = await cursor.continue();
    }
    return rows;
  });
  return readable(stored);
}

export async function countStories(db: StoryLoomDB): Promise<number> {
  return inTransaction(db, [STORE.stories], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.stories).count(),
  );
}

/** Every panel must be valid before anything is written; one bad panel saves nothing. */
export function validateStoryWithPanels(storyInput: Story, panelInputs: Panel[]): StoryWithPanels {
  const story = parseOrThrow(Story, storyInput, 'story');
  const panels = panelInputs.map((panel, i) => parsePanel(panel, i, story));
  const given = new Set(panels.map((p) => p.id));
  if (given.size !== panels.length) {
    throw new StoryLoomError('invalid-input', 'Each panel may be given only once; two panels share an id.');
  }
  const missing = story.panelIds.filter((id) => !given.has(id));
  if (missing.length > 0 || story.panelIds.length !== panels.length) {
    throw new StoryLoomError(
      'invalid-input',
      `“${story.title}” lists ${story.panelIds.length} panels but ${panels.length} were given: save every panel in panelIds with the story, and only those.`,
    );
  }
  return { story, panels: inStoryOrder(story, panels) };
}

/**
 * Write the story and all its panels; panels no longer listed are deleted. Every cast member must
 * be a saved character, so a character in use can never be deleted from under a panel.
 */
export async function saveStoryWithPanels(
  db: StoryLoomDB,
  storyInput: Story,
  panelInputs: Panel[],
  now = Date.now(),
): Promise<StoryWithPanels> {
  const valid = validateStoryWithPanels(storyInput, panelInputs);
  return inTransaction(
    db,
    [STORE.stories, STORE.panels, STORE.characters],
    'readwrite',
    'save',
    async (tx) => {
      const castIds = new Set(valid.panels.flatMap((p) => p.cast.map((member) => member.characterId)));
      for (const characterId of castIds) {
        if ((await tx.objectStore(STORE.characters).count(characterId)) === 0) {
          throw new StoryLoomError(
            'invalid-input',
            `A panel of “${valid.story.title}” casts a character that does not exist (id ${characterId}); it may have been deleted. Remove it from the panel and save again.`,
          );
        }
      }
      const panelStore = tx.objectStore(STORE.panels);
      const oldKeys = await panelStore.index(INDEX.panels.storyId).getAllKeys(valid.story.id);
      const keep = new Set(valid.story.panelIds);
      for (const key of oldKeys) if (!keep.has(key)) await panelStore.delete(key);

      const existing = await tx.objectStore(STORE.stories).get(valid.story.id);
      const story: Story = {
        ...valid.story,
        createdAt: existing?.createdAt ?? valid.story.createdAt,
        updatedAt: now,
      };
      await tx.objectStore(STORE.stories).put(toStoredStory(story));
      // The editor owns the spec; the status and the kept attempt belong to the gate, the judge and
      // the artist's decisions, which may have changed them since the editor loaded: keep the stored ones.
      const saved: Panel[] = [];
      for (const panel of valid.panels) {
        const stored = await panelStore.get(panel.id);
        const merged: Panel = stored
          ? { ...panel, status: fromStoredPanel(stored).status, acceptedAttemptId: stored.acceptedAttemptId }
          : panel;
        await panelStore.put(toStoredPanel(merged));
        saved.push(merged);
      }
      return { story, panels: saved };
    },
  );
}

/** Delete the story, its panels, their attempts and every image they own. Missing story: nothing to do. */
export async function deleteStory(db: StoryLoomDB, id: string): Promise<void> {
  const stores = [STORE.stories, STORE.panels, STORE.attempts, STORE.images];
  await inTransaction(db, stores, 'readwrite', 'delete', async (tx) => {
    const story = await tx.objectStore(STORE.stories).get(id);
    if (!story) return;
    const attempts = await tx.objectStore(STORE.attempts).index(INDEX.attempts.storyId).getAll(id);
    const imageIds = new Set(attempts.flatMap((a) => (a.imageId ? [a.imageId] : [])));
    if (story.coverImageId) imageIds.add(story.coverImageId);
    for (const imageId of imageIds) await tx.objectStore(STORE.images).delete(imageId);
    for (const attempt of attempts) await tx.objectStore(STORE.attempts).delete(attempt.id);
    const panelKeys = await tx.objectStore(STORE.panels).index(INDEX.panels.storyId).getAllKeys(id);
    for (const key of panelKeys) await tx.objectStore(STORE.panels).delete(key);
    await tx.objectStore(STORE.stories).delete(id);
  });
}

// ---------------------------------------------------------------- helpers

function parsePanel(input: Panel, index: number, story: Story): Panel {
  const panel = withPanelNumber(index, () => parseOrThrow(Panel, input, `panel ${index + 1}`));
  if (panel.storyId === story.id) return panel;
  throw new StoryLoomError(
    'invalid-input',
    `Panel ${index + 1} belongs to another story (storyId ${panel.storyId}); a story can only save its own panels.`,
  );
}

/** "Panel 3: Pose must be one of …" — the person needs to know which panel to fix. */
function withPanelNumber<T>(index: number, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof StoryLoomError) || e.message.startsWith('The panel')) throw e;
    throw new StoryLoomError(e.code, `Panel ${index + 1}: ${e.message}`, { cause: e });
  }
}

function inStoryOrder(story: Story, panels: Panel[]): Panel[] {
  const order = new Map(story.panelIds.map((id, i) => [id, i]));
  return panels
    .filter((p) => order.has(p.id))
    .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

function readable(stored: StoredStory[]): Story[] {
  return stored.filter((record) => !isTooNew('story', record)).map(fromStoredStory);
}

/** The artist asked to run these panels again: their accept or override is lifted (status machine). */
export async function reopenPanels(db: StoryLoomDB, panelIds: string[], now = Date.now()): Promise<void> {
  if (panelIds.length === 0) return;
  await inTransaction(db, [STORE.panels], 'readwrite', 'save', async (tx) => {
    for (const id of panelIds) {
      const stored = await tx.objectStore(STORE.panels).get(id);
      if (!stored) continue;
      const panel = fromStoredPanel(stored);
      await tx
        .objectStore(STORE.panels)
        .put(toStoredPanel({ ...panel, ...nextPanelState(panel, { type: 'reopen' }), updatedAt: now }));
    }
  });
}

/** What the reader changes on a panel: its words and their lettering, never the picture or the spec. */
export interface LetteringPatch {
  caption?: string;
  dialogue?: Panel['dialogue'];
  lettering: Panel['lettering'];
}

/**
 * Write the reader's lettering changes to one panel, read and written in one transaction so a run's
 * status change or an editor save in between is kept. The result must be a valid panel, or nothing
 * is written.
 */
export async function updatePanelLettering(
  db: StoryLoomDB,
  panelId: string,
  patch: LetteringPatch,
  now = Date.now(),
): Promise<Panel> {
  return inTransaction(db, [STORE.panels], 'readwrite', 'save', async (tx) => {
    const stored = await tx.objectStore(STORE.panels).get(panelId);
    if (!stored) {
      throw new StoryLoomError(
        'not-found',
        'This panel no longer exists; it may have been deleted in another tab.',
      );
    }
    const panel = fromStoredPanel(stored);
    const next = parseOrThrow(Panel, { ...panel, ...patch, updatedAt: now }, 'panel');
    await tx.objectStore(STORE.panels).put(toStoredPanel(next));
    return next;
  });
}

/** Write a story's page settings (direction, page size, margins, gutters, templates) in one transaction. */
export async function updateStoryLayout(
  db: StoryLoomDB,
  storyId: string,
  layout: Story['layout'],
  now = Date.now(),
): Promise<Story> {
  return inTransaction(db, [STORE.stories], 'readwrite', 'save', async (tx) => {
    const stored = await tx.objectStore(STORE.stories).get(storyId);
    if (!stored) {
      throw new StoryLoomError(
        'not-found',
        'This story no longer exists; it may have been deleted in another tab.',
      );
    }
    const story = parseOrThrow(Story, { ...fromStoredStory(stored), layout, updatedAt: now }, 'story');
    await tx.objectStore(STORE.stories).put(toStoredStory(story));
    return story;
  });
}
