/**
 * What bundles read from and write to the database: the records of an export, the library's side of
 * an import's conflicts, and the import itself — one transaction, so a cancelled, refused or failed
 * import (a full disk included) leaves every store as it was.
 */
import type { Attempt, Character, ImageRecord, Panel, Story } from '../domain';
import type { StoryLoomDB } from './db';
import { INDEX, STORE } from './names';
import {
  fromStoredCharacter,
  fromStoredPanel,
  fromStoredStory,
  toStoredCharacter,
  toStoredPanel,
  toStoredStory,
} from './records';
import { inTransaction } from './tx';

/** Meta key of a bundle imported before: `imported-bundle:<bundleId>` → { at, name }. */
export const IMPORTED_BUNDLE_PREFIX = 'imported-bundle:';

export interface ExportRecords {
  characters: Character[];
  stories: Story[];
  panels: Panel[];
  attempts: Attempt[];
}

/**
 * The records of an export: the given stories with their panels and attempts (all, or only the
 * accepted ones) and the given characters plus every character those stories cast.
 */
export async function readForExport(
  db: StoryLoomDB,
  storyIds: readonly string[],
  characterIds: readonly string[],
  allAttempts: boolean,
): Promise<ExportRecords> {
  return inTransaction(
    db,
    [STORE.characters, STORE.stories, STORE.panels, STORE.attempts],
    'readonly',
    'read',
    async (tx) => {
      const stories: Story[] = [];
      const panels: Panel[] = [];
      const attempts: Attempt[] = [];
      const cast = new Set(characterIds);
      for (const id of storyIds) {
        const stored = await tx.objectStore(STORE.stories).get(id);
        if (!stored) continue;
        const story = fromStoredStory(stored);
        stories.push(story);
        const own = (await tx.objectStore(STORE.panels).index(INDEX.panels.storyId).getAll(id)).map(
          fromStoredPanel,
        );
        const order = new Map(story.panelIds.map((pid, i) => [pid, i]));
        own.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
        for (const p of own) {
          panels.push(p);
          for (const m of p.cast) cast.add(m.characterId);
        }
        const kept = new Set(own.map((p) => p.acceptedAttemptId).filter((a): a is string => !!a));
        for (const a of await tx.objectStore(STORE.attempts).index(INDEX.attempts.storyId).getAll(id))
          if (allAttempts || kept.has(a.id)) attempts.push(a);
      }
      const characters: Character[] = [];
      for (const id of cast) {
        const stored = await tx.objectStore(STORE.characters).get(id);
        if (stored) characters.push(fromStoredCharacter(stored));
      }
      return { characters, stories, panels, attempts };
    },
  );
}

/** Ids of every story and character of the library (a whole-library export). */
export async function allIds(db: StoryLoomDB): Promise<{ stories: string[]; characters: string[] }> {
  return inTransaction(db, [STORE.stories, STORE.characters], 'readonly', 'read', async (tx) => ({
    stories: (await tx.objectStore(STORE.stories).getAllKeys()) as string[],
    characters: (await tx.objectStore(STORE.characters).getAllKeys()) as string[],
  }));
}

/** The library's side of a bundle's conflicts: names of the characters and titles of the stories it already has. */
export async function libraryConflicts(
  db: StoryLoomDB,
  characterIds: readonly string[],
  storyIds: readonly string[],
  bundleId: string,
): Promise<{
  characters: Map<string, string>;
  stories: Map<string, string>;
  bundles: Set<string>;
}> {
  return inTransaction(db, [STORE.characters, STORE.stories, STORE.meta], 'readonly', 'read', async (tx) => {
    const characters = new Map<string, string>();
    for (const id of characterIds) {
      const c = await tx.objectStore(STORE.characters).get(id);
      if (c) characters.set(id, c.name);
    }
    const stories = new Map<string, string>();
    for (const id of storyIds) {
      const s = await tx.objectStore(STORE.stories).get(id);
      if (s) stories.set(id, s.title);
    }
    const before = await tx.objectStore(STORE.meta).get(IMPORTED_BUNDLE_PREFIX + bundleId);
    return { characters, stories, bundles: new Set(before ? [bundleId] : []) };
  });
}

export interface ImportWrite {
  bundleId: string;
  bundleName: string;
  characters: Character[];
  stories: Story[];
  panels: Panel[];
  attempts: Attempt[];
  images: ImageRecord[];
  /** Library stories the bundle's versions replace: their panels, attempts and pictures go first. */
  replacedStories: string[];
}

/** Write an import in one transaction, records as the bundle has them (their own dates). */
export async function writeImport(db: StoryLoomDB, input: ImportWrite, now = Date.now()): Promise<void> {
  const stores = [STORE.characters, STORE.stories, STORE.panels, STORE.attempts, STORE.images, STORE.meta];
  await inTransaction(db, stores, 'readwrite', 'save', async (tx) => {
    for (const storyId of input.replacedStories) {
      const old = await tx.objectStore(STORE.attempts).index(INDEX.attempts.storyId).getAll(storyId);
      for (const a of old) {
        if (a.imageId) await tx.objectStore(STORE.images).delete(a.imageId);
        await tx.objectStore(STORE.attempts).delete(a.id);
      }
      const story = await tx.objectStore(STORE.stories).get(storyId);
      if (story?.coverImageId) await tx.objectStore(STORE.images).delete(story.coverImageId);
      for (const key of await tx.objectStore(STORE.panels).index(INDEX.panels.storyId).getAllKeys(storyId))
        await tx.objectStore(STORE.panels).delete(key);
    }
    for (const c of input.characters) {
      // A replaced character's old reference pictures go with it.
      const old = await tx.objectStore(STORE.characters).get(c.id);
      const keep = new Set(c.templates.map((t) => t.imageId));
      for (const t of old?.templates ?? [])
        if (!keep.has(t.imageId)) await tx.objectStore(STORE.images).delete(t.imageId);
      await tx.objectStore(STORE.characters).put(toStoredCharacter(c));
    }
    for (const image of input.images) await tx.objectStore(STORE.images).put(image);
    for (const s of input.stories) await tx.objectStore(STORE.stories).put(toStoredStory(s));
    for (const p of input.panels) await tx.objectStore(STORE.panels).put(toStoredPanel(p));
    for (const a of input.attempts) await tx.objectStore(STORE.attempts).put(a);
    await tx
      .objectStore(STORE.meta)
      .put({ key: IMPORTED_BUNDLE_PREFIX + input.bundleId, value: { at: now, name: input.bundleName } });
  });
}
