/**
 * The Library at the paper's scale: 2,000 characters and 10,000 stories of 7–8 panels.
 * Figures are printed, never asserted (house rule: timings are bench figures, not pass/fail);
 * what is asserted is that the answers are right at this size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCastMember, newCharacter, newPanel, newStory } from '../../src/lib/domain';
import { STORE, openStoryLoomDB, toStoredCharacter, toStoredPanel, toStoredStory } from '../../src/lib/store';
import { createLibraryService } from '../../src/lib/services/library.service';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import { freshName } from './helpers';

const CHARACTERS = 2_000;
const STORIES = 10_000;
const T0 = 1_700_000_000_000;
const HAIR = ['silver bob', 'red braid', 'black curls', 'blue mohawk', 'long white hair'];
const STYLE = ['ink', 'watercolour', 'flat cel shading', 'pastel', 'noir'];

const figures: Record<string, string> = {};
const time = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const result = await work();
  figures[label] = `${(performance.now() - start).toFixed(1)} ms`;
  return result;
};

let dbName: string;
let service: LibraryServiceImpl;
let characterIds: string[];

beforeAll(async () => {
  dbName = freshName('scale');
  const db = await openStoryLoomDB(dbName);
  await time('seed (2k characters, 10k stories, ~75k panels)', async () => {
    const characters = Array.from({ length: CHARACTERS }, (_, i) => ({
      ...newCharacter(T0 + i, `Character ${i}`),
      hair: HAIR[i % HAIR.length]!,
      artStyle: STYLE[i % STYLE.length]!,
      notes: i === 1234 ? 'Keeps a brass astrolabe.' : 'An ordinary person.',
    }));
    characterIds = characters.map((c) => c.id);
    const tx = db.transaction(STORE.characters, 'readwrite');
    for (const c of characters) void tx.store.put(toStoredCharacter(c));
    await tx.done;
    for (let start = 0; start < STORIES; start += 1000) {
      const batch = db.transaction([STORE.stories, STORE.panels], 'readwrite');
      for (let i = start; i < start + 1000; i++) {
        const story = {
          ...newStory(T0 + CHARACTERS + i, `Story ${i}`),
          premise: i === 7777 ? 'A zeppelin race over the dunes.' : 'Friends meet.',
          style: STYLE[i % STYLE.length]!,
        };
        const panels = Array.from({ length: 7 + (i % 2) }, (_, p) => ({
          ...newPanel(story.id, story.updatedAt),
          caption: `Panel ${p}`,
          cast: [newCastMember(characterIds[(i + p) % CHARACTERS]!, 0, 1)],
        }));
        void batch
          .objectStore(STORE.stories)
          .put(toStoredStory({ ...story, panelIds: panels.map((p) => p.id) }));
        for (const panel of panels) void batch.objectStore(STORE.panels).put(toStoredPanel(panel));
      }
      await batch.done;
    }
  });
  db.close();
  service = createLibraryService({ dbName, storage: null });
}, 300_000);

afterAll(() => {
  service?.close();
  console.log('fake-indexeddb figures (Node, one run):', figures);
});

describe('the Library at 2,000 characters and 10,000 stories', () => {
  it('shows the first rows from the updatedAt index, newest first', async () => {
    await time('open', () => service.open());
    const stories = await time('listRecent(story, 50)', () => service.listRecent('story', 50));
    const characters = await time('listRecent(character, 50)', () => service.listRecent('character', 50));
    expect(stories).toHaveLength(50);
    expect(stories[0]?.title).toBe(`Story ${STORIES - 1}`);
    expect(stories[49]?.title).toBe(`Story ${STORIES - 50}`);
    expect(characters[0]?.title).toBe(`Character ${CHARACTERS - 1}`);
    expect(await time('count(story)', () => service.count('story'))).toBe(STORIES);
  });

  it('builds the search index once and answers searches from memory', async () => {
    const stories = await time('listAll(story) first call: getAll + build index', () =>
      service.listAll('story'),
    );
    const characters = await time('listAll(character) first call', () => service.listAll('character'));
    expect(stories).toHaveLength(STORIES);
    expect(characters).toHaveLength(CHARACTERS);
    expect(stories[0]?.panelCount).toBe(8);
    await time('listAll(story) again', () => service.listAll('story'));

    const hits = await time('search(story, "zeppelin")', () => service.search('zeppelin', 'story'));
    expect(hits.map((r) => r.title)).toEqual(['Story 7777']);
    const astrolabe = await time('search(character, "ASTROLABE")', () =>
      service.search('ASTROLABE', 'character'),
    );
    expect(astrolabe.map((r) => r.title)).toEqual(['Character 1234']);
    const many = await time('search(story, "watercolour", 100)', () =>
      service.search('watercolour', 'story', 100),
    );
    expect(many).toHaveLength(100);
    const none = await time('search(story, "no such words") full scan', () =>
      service.search('no such words', 'story'),
    );
    expect(none).toEqual([]);
  });

  it('refuses to delete a character cast in thousands of panels, via the castIds index', async () => {
    const error = await time('deleteCharacter refusal lookup', () =>
      service.deleteCharacter(characterIds[0]!).catch((e: unknown) => e as Error),
    );
    expect((error as Error).message).toMatch(/^Remove Character 0 from \d+ stories first: /);
  });
});
