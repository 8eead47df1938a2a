import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, StoryLoomError, newId } from '../../src/lib/domain';
import type { Attempt, ImageRecord } from '../../src/lib/domain';
import { STORE, getAttempt, listAttemptsForPanel, openStoryLoomDB, saveAttempt } from '../../src/lib/store';
import type { StoryLoomDB } from '../../src/lib/store';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import { character, rawGet, storyWithPanels, testService } from './helpers';

const services: LibraryServiceImpl[] = [];
const dbs: StoryLoomDB[] = [];
function service() {
  const s = testService();
  services.push(s);
  return s;
}
afterEach(() => {
  for (const s of services.splice(0)) s.close();
  for (const db of dbs.splice(0)) db.close();
});

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as StoryLoomError,
  );

describe('characters', () => {
  it('round trips and stamps updatedAt with the service clock', async () => {
    const s = service();
    const mira = character('Mira', { hair: 'silver bob', wardrobe: [{ item: 'red scarf', color: 'red' }] });
    const saved = await s.saveCharacter(mira);
    expect(saved.updatedAt).toBe(s.clock.now);
    expect(await s.getCharacter(mira.id)).toEqual(saved);
    expect(await s.listCharacters()).toEqual([saved]);
    expect(await s.getCharacter('nope')).toBeUndefined();
  });

  it('validates before writing: an empty name is refused with the schema sentence and nothing is stored', async () => {
    const s = service();
    const error = await errorOf(s.saveCharacter(character('   ')));
    expect(error?.code).toBe('invalid-input');
    expect(error?.message).toBe('A character needs a name: enter 1 to 80 characters.');
    expect(await s.count('character')).toBe(0);
  });

  it('bumps templateVersion only when an identity field changes', async () => {
    const s = service();
    const first = await s.saveCharacter(character('Mira'));
    expect(first.templateVersion).toBe(0);
    const sameIdentity = await s.saveCharacter({ ...first, verified: true });
    expect(sameIdentity.templateVersion).toBe(0);
    const newHair = await s.saveCharacter({ ...sameIdentity, hair: 'long braid' });
    expect(newHair.templateVersion).toBe(1);
    // A stale copy from an editor must not move the cache key backwards.
    const stale = await s.saveCharacter({ ...first, hair: 'short' });
    expect(stale.templateVersion).toBe(2);
  });

  it('keeps createdAt of the stored record', async () => {
    const s = service();
    const first = await s.saveCharacter(character('Mira', { createdAt: 5 }));
    const again = await s.saveCharacter({ ...first, createdAt: 999 });
    expect(again.createdAt).toBe(5);
  });
});

describe('stories with panels', () => {
  it('round trips a story with its panels in order', async () => {
    const s = service();
    const mira = await s.saveCharacter(character('Mira'));
    const { story, panels } = storyWithPanels('The Lantern', [[mira.id], [], [mira.id]], { premise: 'fog' });
    const saved = await s.saveStoryWithPanels(story, panels);
    const read = await s.getStory(story.id);
    expect(read).toEqual(saved);
    expect(read?.panels.map((p) => p.id)).toEqual(story.panelIds);
    expect(read?.story.updatedAt).toBe(s.clock.now);
  });

  it('saves nothing when the 3rd panel is invalid, and keeps the previous version intact', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('The Lantern', [[], [], []]);
    await s.saveStoryWithPanels(story, panels);
    const before = await s.getStory(story.id);

    const changed = panels.map((p, i) => ({ ...p, caption: `new caption ${i}` }));
    changed[2] = { ...changed[2]!, composition: { shotSize: 'medium', cameraAngle: 'sideways' as never } };
    const error = await errorOf(s.saveStoryWithPanels({ ...story, title: 'Renamed' }, changed));
    expect(error?.code).toBe('invalid-input');
    expect(error?.message).toMatch(
      /^Panel 3: Camera angle must be one of: eye-level, high, .*; got "sideways"\.$/,
    );
    expect(await s.getStory(story.id)).toEqual(before);
  });

  it('saves nothing for a brand-new story whose 3rd panel is invalid', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Doomed', [[], [], []]);
    panels[2] = { ...panels[2]!, status: 'exploded' as never };
    await expect(s.saveStoryWithPanels(story, panels)).rejects.toThrow(StoryLoomError);
    expect(await s.getStory(story.id)).toBeUndefined();
    expect(await s.count('story')).toBe(0);
  });

  it('refuses a panel casting a character that does not exist, inside the transaction, writing nothing', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Ghosts', [[], ['ghost-id']]);
    const error = await errorOf(s.saveStoryWithPanels(story, panels));
    expect(error?.message).toMatch(/casts a character that does not exist \(id ghost-id\)/);
    expect(await s.getStory(story.id)).toBeUndefined();
  });

  it('refuses panels that do not match story.panelIds', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Mismatch', [[], []]);
    const error = await errorOf(s.saveStoryWithPanels(story, panels.slice(0, 1)));
    expect(error?.message).toBe(
      '“Mismatch” lists 2 panels but 1 were given: save every panel in panelIds with the story, and only those.',
    );
  });

  it('deletes panels no longer listed', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Shrinking', [[], [], []]);
    await s.saveStoryWithPanels(story, panels);
    const kept = panels.slice(0, 2);
    await s.saveStoryWithPanels({ ...story, panelIds: kept.map((p) => p.id) }, kept);
    expect((await s.getStory(story.id))?.panels.map((p) => p.id)).toEqual(kept.map((p) => p.id));
    expect(await rawGet(s.dbName, STORE.panels, panels[2]!.id)).toBeUndefined();
  });

  it('deleting a story deletes its panels, attempts and their images in one go', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Gone', [[], []], { coverImageId: 'cover-img' });
    await s.saveStoryWithPanels(story, panels);
    const db = await openStoryLoomDB(s.dbName);
    dbs.push(db);
    const image = imageRecord('attempt-img');
    const attempt = attemptFor(panels[0]!.id, story.id, image.id);
    await saveAttempt(db, attempt, image);
    await db.put(STORE.images, imageRecord('cover-img'));
    expect(await getAttempt(db, attempt.id)).toEqual(attempt);

    await s.deleteStory(story.id);
    expect(await s.getStory(story.id)).toBeUndefined();
    expect(await db.get(STORE.panels, panels[0]!.id)).toBeUndefined();
    expect(await db.get(STORE.attempts, attempt.id)).toBeUndefined();
    expect(await db.get(STORE.images, 'attempt-img')).toBeUndefined();
    expect(await db.get(STORE.images, 'cover-img')).toBeUndefined();
    await expect(s.deleteStory(story.id)).resolves.toBeUndefined();
  });
});

describe('deleting a character', () => {
  it('refuses while the character is cast, naming the stories', async () => {
    const s = service();
    const mira = await s.saveCharacter(character('Mira'));
    const a = storyWithPanels('The Lantern', [[mira.id], [mira.id]]);
    const b = storyWithPanels('Night Market', [[], [mira.id]]);
    await s.saveStoryWithPanels(a.story, a.panels);
    await s.saveStoryWithPanels(b.story, b.panels);
    const error = await errorOf(s.deleteCharacter(mira.id));
    expect(error?.code).toBe('invalid-input');
    expect(error?.message).toMatch(
      /^Remove Mira from 2 stories first: (The Lantern, Night Market|Night Market, The Lantern)\.$/,
    );
    expect(await s.getCharacter(mira.id)).toBeDefined();

    await s.deleteStory(a.story.id);
    expect((await errorOf(s.deleteCharacter(mira.id)))?.message).toBe(
      'Remove Mira from 1 story first: Night Market.',
    );

    await s.saveStoryWithPanels({ ...b.story, panelIds: [b.panels[0]!.id] }, [b.panels[0]!]);
    await s.deleteCharacter(mira.id);
    expect(await s.getCharacter(mira.id)).toBeUndefined();
  });
});

describe('attempts', () => {
  it('are listed per panel in order and need an existing panel', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Tries', [[]]);
    await s.saveStoryWithPanels(story, panels);
    const db = await openStoryLoomDB(s.dbName);
    dbs.push(db);
    const second = { ...attemptFor(panels[0]!.id, story.id, null), index: 1 };
    const first = { ...attemptFor(panels[0]!.id, story.id, null), index: 0 };
    await saveAttempt(db, second);
    await saveAttempt(db, first);
    expect((await listAttemptsForPanel(db, panels[0]!.id)).map((a) => a.index)).toEqual([0, 1]);
    const error = await errorOf(saveAttempt(db, attemptFor('missing-panel', story.id, null)));
    expect(error?.code).toBe('not-found');
  });

  it('a manual attempt moves its panel through the status machine; a later story save keeps that status', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('Status', [[]]);
    await s.saveStoryWithPanels(story, panels);
    const db = await openStoryLoomDB(s.dbName);
    dbs.push(db);
    const attempt = attemptFor(panels[0]!.id, story.id, null);
    await saveAttempt(db, attempt, undefined, {
      type: 'attempt-judged',
      attemptId: attempt.id,
      verdict: 'pass',
    });
    const after = (await s.getStory(story.id))?.panels[0];
    expect([after?.status, after?.acceptedAttemptId]).toEqual(['passed', attempt.id]);
    // The editor still holds the draft it loaded: saving its spec must not undo the status.
    const stale = { ...panels[0]!, caption: 'The ferry is late.' };
    const saved = await s.saveStoryWithPanels(story, [stale]);
    expect(saved.panels[0]?.caption).toBe('The ferry is late.');
    expect([saved.panels[0]?.status, saved.panels[0]?.acceptedAttemptId]).toEqual(['passed', attempt.id]);
    const reread = (await s.getStory(story.id))?.panels[0];
    expect([reread?.status, reread?.acceptedAttemptId, reread?.caption]).toEqual([
      'passed',
      attempt.id,
      'The ferry is late.',
    ]);
  });
});

describe('settings', () => {
  it('are the defaults until saved, then round trip; bad values are refused with a sentence', async () => {
    const s = service();
    const defaults = await s.getSettings();
    expect(defaults.theme).toBe('system');
    const saved = await s.saveSettings({ ...defaults, theme: 'dark' });
    expect(await s.getSettings()).toEqual(saved);
    const error = await errorOf(
      s.saveSettings({ ...defaults, generation: { ...defaults.generation, width: 500 } }),
    );
    expect(error?.message).toMatch(/Width must be a multiple of 8/);
    expect((await s.getSettings()).theme).toBe('dark');
  });
});

// ---------------------------------------------------------------- helpers

function imageRecord(id: string): ImageRecord {
  const blob = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' });
  return { id, blob, mime: 'image/png', width: 1, height: 1, bytes: 3, createdAt: 1 };
}

function attemptFor(panelId: string, storyId: string, imageId: string | null): Attempt {
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: newId(),
    panelId,
    storyId,
    index: 0,
    seed: 42,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 512,
      height: 512,
      numInferenceSteps: 4,
      guidanceScale: 0,
      scheduler: 'euler',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId,
    report: null,
    action: null,
    timings: {},
    createdAt: 1,
  };
}
