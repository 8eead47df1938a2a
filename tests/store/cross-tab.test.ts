import { afterEach, describe, expect, it } from 'vitest';
import type { StoryLoomError } from '../../src/lib/domain';
import type { StorageEvent } from '../../src/lib/services/api';
import { DB, STALE_TAB_MESSAGE } from '../../src/lib/store';
import { createLibraryService } from '../../src/lib/services/library.service';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import v1 from '../fixtures/db/v1.json';
import { buildFixtureDb, character, freshName, storyWithPanels } from './helpers';
import type { DbFixture } from './helpers';

const services: LibraryServiceImpl[] = [];
function tab(dbName: string): LibraryServiceImpl {
  const s = createLibraryService({ dbName, storage: null });
  services.push(s);
  return s;
}
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});

function nextEvent(service: LibraryServiceImpl, type: StorageEvent['type']): Promise<StorageEvent> {
  return new Promise((resolve) => {
    const off = service.onEvent((event) => {
      if (event.type !== type) return;
      off();
      resolve(event);
    });
  });
}

function openRaw(name: string, version: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => undefined;
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

describe('a newer StoryLoom opening the database in another tab', () => {
  it('closes this connection, emits stale-tab, and later calls explain why they fail', async () => {
    const name = freshName('stale');
    const s = tab(name);
    await s.saveCharacter(character('Mira'));
    const stale = nextEvent(s, 'stale-tab');

    // The "newer tab": it can only upgrade because this tab closed its connection.
    const newer = await openRaw(name, DB.version + 1);
    expect(newer.version).toBe(DB.version + 1);
    newer.close();

    expect(await stale).toEqual({ type: 'stale-tab', message: STALE_TAB_MESSAGE });
    const error = (await s.listCharacters().catch((e: unknown) => e)) as StoryLoomError;
    expect(error.code).toBe('stale-tab');
    expect(error.message).toBe(
      'StoryLoom was updated in another tab. Reload this tab to keep working; nothing you saved is lost.',
    );
  });
});

describe('an older tab keeping the database open', () => {
  it('emits blocked while our upgrade waits, then opens once the old tab closes', async () => {
    const name = freshName('blocked');
    await buildFixtureDb(name, v1 as DbFixture);
    const oldTab = await openRaw(name, 1); // no versionchange handler: it will not step aside
    const s = tab(name);
    const blocked = nextEvent(s, 'blocked');
    const opening = s.open();

    const event = await blocked;
    expect(event.type).toBe('blocked');
    expect((event as { message: string }).message).toMatch(/older StoryLoom tab is still open/);

    oldTab.close();
    await opening;
    expect(await s.count('character')).toBe(3);
  });
});

describe('changes made in another tab', () => {
  it('are relayed to listeners and keep the search index in sync', async () => {
    const name = freshName('broadcast');
    const a = tab(name);
    const b = tab(name);
    await a.open();
    expect(await b.listAll('character')).toEqual([]); // b builds its index now

    const heard = nextEvent(b, 'changed');
    const mira = await a.saveCharacter(character('Mira', { notes: 'carries a lantern' }));
    expect(await heard).toEqual({ type: 'changed', kind: 'character', id: mira.id });
    expect((await b.search('lantern', 'character')).map((r) => r.id)).toEqual([mira.id]);

    const storyHeard = nextEvent(b, 'changed');
    const { story, panels } = storyWithPanels('Night Market', [[mira.id]]);
    await a.saveStoryWithPanels(story, panels);
    expect(await storyHeard).toMatchObject({ kind: 'story', id: story.id });
    expect((await b.listAll('story')).map((r) => r.title)).toEqual(['Night Market']);

    const deleted = nextEvent(b, 'changed');
    await a.deleteStory(story.id);
    await deleted;
    expect(await b.listAll('story')).toEqual([]);

    const settingsHeard = nextEvent(b, 'changed');
    await a.saveSettings({ ...(await a.getSettings()), theme: 'light' });
    expect(await settingsHeard).toMatchObject({ kind: 'settings', id: 'settings' });
  });

  it("a tab does not hear its own writes as another tab's", async () => {
    const name = freshName('self');
    const a = tab(name);
    const heard: StorageEvent[] = [];
    a.onEvent((e) => heard.push(e));
    await a.saveCharacter(character('Mira'));
    await new Promise((r) => setTimeout(r, 20));
    expect(heard).toEqual([]);
  });
});
