/**
 * Characters repository. Writes validate before any transaction opens; the character and the
 * images it owns are always written together.
 */
import { Character, StoryLoomError, parseOrThrow } from '../domain';
import type { ImageRecord, TemplateImage } from '../domain';
import type { StoryLoomDB } from './db';
import { isTooNew } from './migrations';
import { INDEX, STORE } from './names';
import { fromStoredCharacter, fromStoredStory, toStoredCharacter } from './records';
import type { StoredCharacter } from './schema';
import { inTransaction } from './tx';

const MAX_TEMPLATES = 16;

export async function getCharacter(db: StoryLoomDB, id: string): Promise<Character | undefined> {
  const stored = await inTransaction(db, [STORE.characters], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.characters).get(id),
  );
  return stored ? fromStoredCharacter(stored) : undefined;
}

/** Every readable character; records from a newer StoryLoom are left out (opening one explains why). */
export async function listCharacters(db: StoryLoomDB): Promise<Character[]> {
  const all = await inTransaction(db, [STORE.characters], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.characters).getAll(),
  );
  return readable(all);
}

/** The `limit` most recently updated characters, newest first, read through the by-updatedAt index. */
export async function listRecentCharacters(db: StoryLoomDB, limit: number): Promise<Character[]> {
  const stored = await inTransaction(db, [STORE.characters], 'readonly', 'read', async (tx) => {
    const rows: StoredCharacter[] = [];
    let cursor = await tx
      .objectStore(STORE.characters)
      .index(INDEX.characters.updatedAt)
      .openCursor(null, 'prev');
    while (cursor && rows.length < limit) {
      rows.push(cursor.value);
      cursor = await cursor.continue();
    }
    return rows;
  });
  return readable(stored);
}

export async function countCharacters(db: StoryLoomDB): Promise<number> {
  return inTransaction(db, [STORE.characters], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.characters).count(),
  );
}

/**
 * Save a character. templateVersion (the identity-chunk cache key) is bumped when an identity
 * field differs from the stored record, so callers never have to remember to.
 */
export async function saveCharacter(db: StoryLoomDB, input: Character, now = Date.now()): Promise<Character> {
  const parsed = parseOrThrow(Character, input, 'character');
  return inTransaction(db, [STORE.characters], 'readwrite', 'save', async (tx) => {
    const store = tx.objectStore(STORE.characters);
    const stored = await store.get(parsed.id);
    const existing = stored ? fromStoredCharacter(stored) : undefined;
    const character: Character = {
      ...parsed,
      templateVersion: nextTemplateVersion(existing, parsed),
      createdAt: existing?.createdAt ?? parsed.createdAt,
      updatedAt: now,
    };
    await store.put(toStoredCharacter(character));
    return character;
  });
}

/**
 * Delete a character and its reference images. A character still cast in a panel is refused,
 * naming the stories, so no panel is left pointing at nobody.
 */
export async function deleteCharacter(db: StoryLoomDB, id: string): Promise<void> {
  await inTransaction(
    db,
    [STORE.characters, STORE.panels, STORE.stories, STORE.images],
    'readwrite',
    'delete',
    async (tx) => {
      const stored = await tx.objectStore(STORE.characters).get(id);
      if (!stored) return;
      const character = fromStoredCharacter(stored);
      const panelKeys = await tx.objectStore(STORE.panels).index(INDEX.panels.castIds).getAll(id);
      const storyIds = [...new Set(panelKeys.map((panel) => panel.storyId))];
      if (storyIds.length > 0) {
        const titles = await storyTitles(tx.objectStore(STORE.stories), storyIds);
        throw new StoryLoomError('invalid-input', castRefusal(character.name, titles));
      }
      for (const template of character.templates) await tx.objectStore(STORE.images).delete(template.imageId);
      await tx.objectStore(STORE.characters).delete(id);
    },
  );
}

export function castRefusal(name: string, titles: string[]): string {
  const noun = titles.length === 1 ? 'story' : 'stories';
  return `Remove ${name} from ${titles.length} ${noun} first: ${titles.join(', ')}.`;
}

/** Store the image and append it to the character's templates: both or neither. */
export async function addTemplateImage(
  db: StoryLoomDB,
  characterId: string,
  image: ImageRecord,
  now = Date.now(),
): Promise<Character> {
  return inTransaction(db, [STORE.characters, STORE.images], 'readwrite', 'save', async (tx) => {
    const character = await requireCharacter(tx.objectStore(STORE.characters), characterId);
    if (character.templates.length >= MAX_TEMPLATES) {
      throw new StoryLoomError(
        'invalid-input',
        `${character.name} already has ${MAX_TEMPLATES} reference images, the most allowed. Remove one before adding another.`,
      );
    }
    const template: TemplateImage = {
      imageId: image.id,
      width: image.width,
      height: image.height,
      mime: image.mime,
      addedAt: now,
    };
    const updated: Character = {
      ...character,
      templates: [...character.templates, template],
      templateVersion: character.templateVersion + 1,
      updatedAt: now,
    };
    await tx.objectStore(STORE.images).put(image);
    await tx.objectStore(STORE.characters).put(toStoredCharacter(updated));
    return updated;
  });
}

export async function removeTemplateImage(
  db: StoryLoomDB,
  characterId: string,
  imageId: string,
  now = Date.now(),
): Promise<Character> {
  return inTransaction(db, [STORE.characters, STORE.images], 'readwrite', 'delete', async (tx) => {
    const character = await requireCharacter(tx.objectStore(STORE.characters), characterId);
    if (!character.templates.some((t) => t.imageId === imageId)) {
      throw new StoryLoomError(
        'not-found',
        `${character.name} has no reference image with id ${imageId}; it may have been removed already.`,
      );
    }
    const updated: Character = {
      ...character,
      templates: character.templates.filter((t) => t.imageId !== imageId),
      templateVersion: character.templateVersion + 1,
      updatedAt: now,
    };
    await tx.objectStore(STORE.images).delete(imageId);
    await tx.objectStore(STORE.characters).put(toStoredCharacter(updated));
    return updated;
  });
}

// ---------------------------------------------------------------- helpers

const IDENTITY_FIELDS = [
  'name',
  'artStyle',
  'species',
  'ageRange',
  'hair',
  'eyes',
  'skin',
  'wardrobe',
  'accessories',
  'marks',
  'palette',
  'templates',
] as const satisfies readonly (keyof Character)[];

function nextTemplateVersion(existing: Character | undefined, next: Character): number {
  if (!existing) return next.templateVersion;
  const base = Math.max(existing.templateVersion, next.templateVersion);
  const changed = IDENTITY_FIELDS.some(
    (field) => JSON.stringify(existing[field]) !== JSON.stringify(next[field]),
  );
  return changed ? base + 1 : base;
}

async function requireCharacter(
  store: { get(id: string): Promise<StoredCharacter | undefined> },
  id: string,
): Promise<Character> {
  const stored = await store.get(id);
  if (stored) return fromStoredCharacter(stored);
  throw new StoryLoomError(
    'not-found',
    `There is no character with id ${id}; it may have been deleted in another tab.`,
  );
}

async function storyTitles(
  store: { get(id: string): Promise<Parameters<typeof fromStoredStory>[0] | undefined> },
  ids: string[],
): Promise<string[]> {
  const titles: string[] = [];
  for (const id of ids) {
    const stored = await store.get(id);
    titles.push(stored ? stored.title : `a story that no longer exists (${id})`);
  }
  return titles;
}

function readable(stored: StoredCharacter[]): Character[] {
  return stored.filter((record) => !isTooNew('character', record)).map(fromStoredCharacter);
}
