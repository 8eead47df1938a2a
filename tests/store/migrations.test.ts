import { describe, expect, it } from 'vitest';
import { Character, Panel, SCHEMA_VERSION, Story, StoryLoomError } from '../../src/lib/domain';
import {
  characterV1toV2,
  migrateCharacter,
  migratePanel,
  migrateStory,
  splitOutfit,
} from '../../src/lib/store/migrations';
import type { PanelV1, PanelV2, StoryV1 } from '../../src/lib/store/migrations';
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

  it('gives a v1 story the default page settings: left to right, A4, automatic templates', () => {
    const v1: StoryV1 = {
      schemaVersion: 1,
      id: 's',
      title: 'Harbour',
      premise: 'Fog.',
      style: 'ink',
      panelIds: ['p1'],
      coverImageId: 'img',
      createdAt: 1,
      updatedAt: 2,
    };
    const v2 = migrateStory(v1);
    expect(v2.schemaVersion).toBe(SCHEMA_VERSION.story);
    expect(v2.layout).toEqual({
      direction: 'ltr',
      pageSize: 'a4',
      marginMm: 10,
      gutterMm: 4,
      pageTemplates: [],
    });
    expect(v2.coverImageId).toBe('img');
    expect(Story.parse(v2)).toEqual(v2);
  });
});

const panelV2: PanelV2 = {
  schemaVersion: 2,
  id: 'p1',
  storyId: 's',
  cast: [],
  scene: { location: 'pier', timeOfDay: 'night', weather: '', lighting: '', mood: '' },
  composition: { shotSize: 'wide', cameraAngle: 'eye-level' },
  caption: 'The fog came in.',
  dialogue: [
    { speakerId: 'c1', text: 'Hold the lantern.' },
    { speakerId: null, text: 'Who goes there?' },
  ],
  status: 'accepted',
  acceptedAttemptId: 'a1',
  createdAt: 1,
  updatedAt: 2,
};

describe('migratePanel', () => {
  it('v2 → v3: dialogue lines get ids by position and are speech; no beat, importance 1, no lettering', () => {
    const v3 = migratePanel(panelV2);
    expect(v3.schemaVersion).toBe(SCHEMA_VERSION.panel);
    expect(v3.dialogue).toEqual([
      { id: 'line-1', speakerId: 'c1', kind: 'speech', text: 'Hold the lantern.' },
      { id: 'line-2', speakerId: null, kind: 'speech', text: 'Who goes there?' },
    ]);
    expect([v3.beat, v3.importance, v3.lettering, v3.plannedBy]).toEqual(['', 1, [], null]);
    expect([v3.status, v3.acceptedAttemptId, v3.caption]).toEqual(['accepted', 'a1', 'The fog came in.']);
    expect(Panel.parse(v3)).toEqual(v3);
  });

  it('v1 → v3 in one read: queued becomes draft and the lines get ids', () => {
    const v1: PanelV1 = { ...panelV2, schemaVersion: 1, status: 'queued' };
    const v3 = migratePanel(v1);
    expect(v3.status).toBe('draft');
    expect(v3.dialogue.map((d) => d.id)).toEqual(['line-1', 'line-2']);
    expect(Panel.parse(v3)).toEqual(v3);
  });

  it('a v3 panel stored before the planner mark was kept reads as planned by no one; a mark is kept', () => {
    const v3 = migratePanel(panelV2);
    const { plannedBy: _gone, ...before } = v3;
    expect(migratePanel(before as never).plannedBy).toBeNull();
    expect(migratePanel({ ...v3, plannedBy: 'model' }).plannedBy).toBe('model');
    const bad = Panel.safeParse({ ...v3, plannedBy: 'artist' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe(
      'A panel is planned by "model" or "template", or by no one (null).',
    );
  });

  it('refuses a panel newer than this code', () => {
    expect(() => migratePanel({ ...panelV2, schemaVersion: 9 } as never)).toThrow(
      /newer version of StoryLoom/,
    );
  });
});
