import { describe, expect, it } from 'vitest';
import { Character, SCHEMA_VERSION, StoryLoomError } from '../../src/lib/domain';
import { characterV1toV2, migrateCharacter, migrateStory, splitOutfit } from '../../src/lib/store/migrations';
import type { CharacterV1 } from '../../src/lib/store/migrations';

const v1: CharacterV1 = {
  schemaVersion: 1,
  id: 'c1',
  name: 'Mira',
  artStyle: 'ink',
  species: 'human',
  ageRange: '',
  hair: 'silver bob',
  eyes: '',
  skin: '',
  outfit: 'a red scarf, blue wool coat and leather boots',
  accessories: ['lantern'],
  marks: [],
  notes: '',
  templates: [],
  verified: true,
  createdAt: 1,
  updatedAt: 2,
};

describe('splitOutfit', () => {
  it('splits on commas, semicolons, "and" and "&", dropping articles and empties', () => {
    expect(splitOutfit('a red scarf, blue wool coat and leather boots').map((w) => w.item)).toEqual([
      'red scarf',
      'blue wool coat',
      'leather boots',
    ]);
    expect(splitOutfit('grey cloak; walking stick & the lantern').map((w) => w.item)).toEqual([
      'grey cloak',
      'walking stick',
      'lantern',
    ]);
    expect(splitOutfit('  ,  and , ')).toEqual([]);
    expect(splitOutfit('')).toEqual([]);
  });

  it('keeps "and" inside a word ("sandals", "band")', () => {
    expect(splitOutfit('sandals, head band').map((w) => w.item)).toEqual(['sandals', 'head band']);
  });

  it('keeps the result valid for the current schema (at most 24 items of at most 80 characters)', () => {
    const long = Array.from({ length: 30 }, (_, i) => `item ${i} ${'x'.repeat(100)}`).join(', ');
    const items = splitOutfit(long);
    expect(items).toHaveLength(24);
    expect(items.every((w) => w.item.length <= 80)).toBe(true);
  });
});

describe('characterV1toV2', () => {
  it('produces a record the current Character schema accepts', () => {
    const v2 = characterV1toV2(v1);
    expect(v2.schemaVersion).toBe(SCHEMA_VERSION.character);
    expect(v2.wardrobe).toEqual([
      { item: 'red scarf', color: '' },
      { item: 'blue wool coat', color: '' },
      { item: 'leather boots', color: '' },
    ]);
    expect(v2.templateVersion).toBe(0);
    expect(v2.palette).toEqual([]);
    expect('outfit' in v2).toBe(false);
    expect(Character.safeParse(v2).success).toBe(true);
  });

  it('is pure: the input is not changed', () => {
    const copy = structuredClone(v1);
    characterV1toV2(v1);
    expect(v1).toEqual(copy);
  });
});

describe('migrateCharacter', () => {
  it('leaves a current record as it is', () => {
    const current = characterV1toV2(v1);
    expect(migrateCharacter(current)).toBe(current);
  });

  it('refuses a record from a newer StoryLoom with schema-too-new and a sentence', () => {
    const future = { ...characterV1toV2(v1), schemaVersion: 3 } as unknown as Character;
    let error: unknown;
    try {
      migrateCharacter(future);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoryLoomError);
    expect((error as StoryLoomError).code).toBe('schema-too-new');
    expect((error as StoryLoomError).message).toMatch(
      /newer version of StoryLoom \(record version 3; this version reads up to 2\)/,
    );
  });

  it('refuses a record without a schemaVersion as damaged', () => {
    const damaged = { ...v1, schemaVersion: undefined } as unknown as CharacterV1;
    expect(() => migrateCharacter(damaged)).toThrow(/damaged/);
  });
});

describe('migrateStory', () => {
  it('gives a story from before images a null coverImageId', () => {
    const old = {
      schemaVersion: 1,
      id: 's',
      title: 'T',
      premise: '',
      style: '',
      panelIds: [],
      createdAt: 1,
      updatedAt: 1,
    };
    expect(migrateStory(old as never).coverImageId).toBeNull();
  });
});
