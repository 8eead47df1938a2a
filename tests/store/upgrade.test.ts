import { afterEach, describe, expect, it } from 'vitest';
import v1 from '../fixtures/db/v1.json';
import v2 from '../fixtures/db/v2.json';
import v3 from '../fixtures/db/v3.json';
import { SCHEMA_VERSION, StoryLoomError } from '../../src/lib/domain';
import { DB, INDEX, META, STORE, openStoryLoomDB } from '../../src/lib/store';
import { createLibraryService } from '../../src/lib/services/library.service';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import { buildFixtureDb, freshName, rawGet, rawInfo, rawPut } from './helpers';
import type { DbFixture } from './helpers';

const open: LibraryServiceImpl[] = [];
async function serviceOn(fixture: DbFixture | null): Promise<{ service: LibraryServiceImpl; name: string }> {
  const name = freshName('upgrade');
  if (fixture) await buildFixtureDb(name, fixture);
  const service = createLibraryService({ dbName: name, storage: null });
  open.push(service);
  return { service, name };
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const EXPECTED_STRUCTURE = {
  [STORE.characters]: [INDEX.characters.nameLower, INDEX.characters.updatedAt].sort(),
  [STORE.stories]: [INDEX.stories.titleLower, INDEX.stories.updatedAt].sort(),
  [STORE.panels]: [INDEX.panels.castIds, INDEX.panels.storyId].sort(),
  [STORE.attempts]: [INDEX.attempts.panelId, INDEX.attempts.storyId].sort(),
  [STORE.images]: [],
  [STORE.settings]: [],
  [STORE.meta]: [],
};

describe('a new database', () => {
  it('is created at the current version with every store and index', async () => {
    const { service, name } = await serviceOn(null);
    await service.open();
    service.close();
    const info = await rawInfo(name);
    expect(info.version).toBe(DB.version);
    expect(Object.fromEntries(Object.entries(info.stores).map(([k, v]) => [k, [...v].sort()]))).toEqual(
      EXPECTED_STRUCTURE,
    );
  });
});

describe('opening a version 1 database', () => {
  it('adds the missing stores and indexes and migrates every character to schemaVersion 2', async () => {
    const { service, name } = await serviceOn(v1 as DbFixture);
    await service.open();

    const mira = await service.getCharacter('char-mira');
    expect(mira?.schemaVersion).toBe(2);
    expect(mira?.wardrobe.map((w) => w.item)).toEqual(['red scarf', 'blue wool coat', 'leather boots']);
    expect(mira?.templateVersion).toBe(0);
    expect(mira?.palette).toEqual([]);
    expect(mira?.hair).toBe('short silver bob');
    expect((await service.getCharacter('char-tomas'))?.wardrobe).toEqual([]);
    expect((await service.getCharacter('char-fen'))?.wardrobe.map((w) => w.item)).toEqual([
      'grey cloak',
      'walking stick',
      'lantern of the north',
    ]);

    // The ladder rewrote the records on disk (not only on read), with their index fields.
    const rawMira = (await rawGet(name, STORE.characters, 'char-mira')) as Record<string, unknown>;
    expect(rawMira.schemaVersion).toBe(2);
    expect(rawMira.nameLower).toBe('mira');
    expect('outfit' in rawMira).toBe(false);
    const rawStory = (await rawGet(name, STORE.stories, 'story-lantern')) as Record<string, unknown>;
    expect(rawStory.coverImageId).toBeNull();
    expect(rawStory.titleLower).toBe('the lantern');

    const story = await service.getStory('story-lantern');
    expect(story?.story.coverImageId).toBeNull();
    expect(story?.panels).toEqual([]);

    expect((await service.listRecent('character', 2)).map((r) => r.title)).toEqual(['Mira', 'Old Fen']);
    expect((await service.search('riddles', 'character')).map((r) => r.id)).toEqual(['char-fen']);
    expect(await service.count('story')).toBe(2);

    service.close();
    const info = await rawInfo(name);
    expect(info.version).toBe(DB.version);
    expect(Object.fromEntries(Object.entries(info.stores).map(([k, v]) => [k, [...v].sort()]))).toEqual(
      EXPECTED_STRUCTURE,
    );
    const log = (await rawGet(name, STORE.meta, META.lastUpgrade)) as {
      value: { fromVersion: number; toVersion: number };
    };
    expect(log.value).toMatchObject({ fromVersion: 1, toVersion: DB.version });
  });
});

describe('opening a version 2 database', () => {
  it('migrates the old characters, keeps the current ones, and indexes panel casts', async () => {
    const { service, name } = await serviceOn(v2 as DbFixture);
    await service.open();

    const mira = await service.getCharacter('char-mira');
    expect(mira?.wardrobe.map((w) => w.item)).toEqual(['red scarf', 'leather boots']);
    expect(mira?.templates.map((t) => t.imageId)).toEqual(['img-mira-1']);
    const juno = await service.getCharacter('char-juno');
    expect(juno?.templateVersion).toBe(3);
    expect(juno?.palette).toEqual(['#c8553d', '#2a9d8f']);
    expect(juno?.wardrobe).toEqual([{ item: 'pilot jacket', color: 'brown' }]);

    const rawPanel = (await rawGet(name, STORE.panels, 'p-market-1')) as { castIds: string[] };
    expect(rawPanel.castIds).toEqual(['char-mira', 'char-juno']);

    // Panels come back in the story's order, not the key order.
    const lantern = await service.getStory('story-lantern');
    expect(lantern?.panels.map((p) => p.id)).toEqual(['p-lantern-2', 'p-lantern-1', 'p-lantern-3']);

    // The new multiEntry index is what lets deletion find the stories a character is cast in.
    await expect(service.deleteCharacter('char-mira')).rejects.toThrow(
      'Remove Mira from 2 stories first: The Lantern, Night Market.',
    );

    const image = await service.getImage('img-mira-1');
    expect(image?.blob).toBeInstanceOf(Blob);
    expect(image?.blob.size).toBe(image?.bytes);
    expect((await service.listAll('character')).find((r) => r.id === 'char-mira')?.thumbImageId).toBe(
      'img-mira-1',
    );
    expect((await service.listAll('story')).find((r) => r.id === 'story-market')).toMatchObject({
      thumbImageId: 'img-cover-1',
      panelCount: 2,
    });

    const settings = await service.getSettings();
    expect(settings.theme).toBe('dark');
    expect(settings.generation.height).toBe(768);

    const log = (await rawGet(name, STORE.meta, META.lastUpgrade)) as { value: { fromVersion: number } };
    expect(log.value.fromVersion).toBe(2);
  });
});

describe('the ladder', () => {
  it('is idempotent: reopening a current database changes nothing', async () => {
    const { service, name } = await serviceOn(v2 as DbFixture);
    await service.open();
    service.close();
    const before = await rawGet(name, STORE.characters, 'char-mira');
    const again = createLibraryService({ dbName: name, storage: null });
    open.push(again);
    await again.open();
    again.close();
    expect(await rawGet(name, STORE.characters, 'char-mira')).toEqual(before);
  });

  it('aborts the whole upgrade when a step fails, leaving the old database as it was', async () => {
    const name = freshName('ladder-fail');
    const broken = structuredClone(v1) as DbFixture;
    // A character whose schemaVersion is missing cannot be migrated: the ladder must stop.
    (broken.stores[0]!.records[0] as Record<string, unknown>).schemaVersion = 'one';
    await buildFixtureDb(name, broken);
    const error = await openStoryLoomDB(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoryLoomError);
    expect((error as StoryLoomError).message).toMatch(/damaged/);
    const info = await rawInfo(name);
    expect(info.version).toBe(1);
    expect(Object.keys(info.stores).sort()).toEqual(['characters', 'stories']);
  });
});

describe('records and databases from a newer StoryLoom', () => {
  it('refuses a database whose version is newer than this code with schema-too-new', async () => {
    const name = freshName('too-new-db');
    await buildFixtureDb(name, { version: DB.version + 1, description: '', stores: [] });
    const service = createLibraryService({ dbName: name, storage: null });
    open.push(service);
    const error = await service.open().catch((e: unknown) => e);
    expect((error as StoryLoomError).code).toBe('schema-too-new');
    expect((error as StoryLoomError).message).toMatch(/newer version of StoryLoom/);
  });

  it('refuses a character record that is too new on read, and leaves it out of lists', async () => {
    const { service, name } = await serviceOn(v2 as DbFixture);
    await service.open();
    const juno = (await rawGet(name, STORE.characters, 'char-juno')) as Record<string, unknown>;
    await rawPut(name, STORE.characters, { ...juno, schemaVersion: 99 });

    const error = await service.getCharacter('char-juno').catch((e: unknown) => e);
    expect((error as StoryLoomError).code).toBe('schema-too-new');
    expect((error as StoryLoomError).message).toMatch(/record version 99/);
    expect((await service.listCharacters()).map((c) => c.id).sort()).toEqual(['char-mira', 'char-tomas']);
    expect((await service.listAll('character')).map((r) => r.id)).not.toContain('char-juno');
    // The record itself is untouched, so a newer StoryLoom can still read it.
    expect(
      ((await rawGet(name, STORE.characters, 'char-juno')) as { schemaVersion: number }).schemaVersion,
    ).toBe(99);
  });

  it('lazily migrates a v1 character that arrives after the upgrade (e.g. imported)', async () => {
    const { service, name } = await serviceOn(null);
    await service.open();
    const old = { ...(v1.stores[0]!.records[0] as object), id: 'late', nameLower: 'mira' };
    await rawPut(name, STORE.characters, old);
    const read = await service.getCharacter('late');
    expect(read?.schemaVersion).toBe(2);
    expect(read?.wardrobe).toHaveLength(3);
  });
});

describe('opening a version 3 database', () => {
  it('moves panels to the status machine: accepted by the artist, overridden, passed by the gate, draft', async () => {
    const { service, name } = await serviceOn(v3 as DbFixture);
    await service.open();
    const story = await service.getStory('story-harbour');
    const status = Object.fromEntries(
      (story?.panels ?? []).map((p) => [p.id, [p.status, p.acceptedAttemptId]]),
    );
    expect(status).toEqual({
      'p-artist': ['accepted', 'p-artist:attempt:0'],
      'p-override': ['overridden', 'p-override:attempt:0'],
      'p-gate': ['passed', 'p-gate:attempt:1'],
      'p-queued': ['draft', null],
      'p-review': ['needs-review', null],
    });
    for (const p of story?.panels ?? []) expect(p.schemaVersion).toBe(SCHEMA_VERSION.panel);
    // The stored records were rewritten (not only read through the migration).
    expect(((await rawGet(name, STORE.panels, 'p-gate')) as { schemaVersion: number }).schemaVersion).toBe(
      SCHEMA_VERSION.panel,
    );
    expect(
      ((await rawGet(name, STORE.settings, 'settings')) as { schemaVersion: number }).schemaVersion,
    ).toBe(1);
    expect((await service.getSettings()).models).toEqual({ activePackId: null, developerTestPacks: false });
    const log = (await rawGet(name, STORE.meta, META.lastUpgrade)) as { value: { fromVersion: number } };
    expect(log.value.fromVersion).toBe(3);
  });
});
