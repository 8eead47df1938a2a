import { describe, expect, it } from 'vitest';
import {
  SCHEMA_VERSION,
  newCastMember,
  newCharacter,
  newDialogueLine,
  newPanel,
  newStory,
} from '../../../src/lib/domain';
import type { Attempt, Character, Panel, Story } from '../../../src/lib/domain';
import {
  checkReferences,
  copyName,
  findConflicts,
  planImport,
  readBundleRecords,
  recordsForBundle,
} from '../../../src/lib/bundle/records';
import type { LibraryRecords, PackedImage } from '../../../src/lib/bundle/records';
import { Manifest } from '../../../src/lib/bundle/manifest';

const sha = (n: number) => n.toString(16).padStart(64, '0');

function attempt(panel: Panel, index: number, imageId: string | null): Attempt {
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: `${panel.id}:a${index}`,
    panelId: panel.id,
    storyId: panel.storyId,
    index,
    seed: 7,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 64,
      height: 64,
      numInferenceSteps: 1,
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
    createdAt: 5,
  };
}

function library(): { records: LibraryRecords; images: Map<string, PackedImage> } {
  const mira: Character = {
    ...newCharacter(1, 'Mira'),
    templates: [{ imageId: 'img-t', width: 48, height: 64, mime: 'image/png', addedAt: 1 }],
  };
  const story: Story = { ...newStory(1, 'Harbour'), coverImageId: 'img-a' };
  const p1 = {
    ...newPanel(story.id, 1),
    cast: [newCastMember(mira.id)],
    dialogue: [newDialogueLine(mira.id, 'Hello.')],
  };
  const p2 = newPanel(story.id, 1);
  const a1 = attempt(p1, 0, 'img-a');
  const a2 = attempt(p2, 0, 'img-gone');
  p1.acceptedAttemptId = a1.id;
  story.panelIds = [p1.id, p2.id];
  const images = new Map<string, PackedImage>([
    ['img-t', { id: 'img-t', sha256: sha(1), mime: 'image/png', width: 48, height: 64, bytes: 100 }],
    ['img-a', { id: 'img-a', sha256: sha(2), mime: 'image/png', width: 64, height: 64, bytes: 200 }],
  ]);
  return { records: { characters: [mira], stories: [story], panels: [p1, p2], attempts: [a1, a2] }, images };
}

function manifestOf(records: LibraryRecords, images: Map<string, PackedImage>) {
  return Manifest.parse({
    formatVersion: 1,
    bundleId: '00000000-0000-4000-8000-000000000001',
    app: { name: 'StoryLoom', version: '0.1.0' },
    exportedAt: '2026-12-01T10:00:00.000Z',
    scope: 'story',
    allAttempts: true,
    ...recordsForBundle(records, images),
  });
}

describe('records into a bundle', () => {
  it('image ids become SHA-256 names; each image listed once; a missing image is dropped from its record', () => {
    const { records, images } = library();
    const out = recordsForBundle(records, images);
    expect((out.characters[0] as Character).templates[0]!.imageId).toBe(sha(1));
    expect((out.stories[0] as Story).coverImageId).toBe(sha(2));
    expect((out.attempts as Attempt[]).map((a) => a.imageId)).toEqual([sha(2), null]);
    expect(out.images.map((i) => i.sha256).sort()).toEqual([sha(1), sha(2)]);
    expect(JSON.stringify(out)).not.toContain('img-');
  });

  it('round trip: read back, migrated and checked, every reference inside the bundle', () => {
    const { records, images } = library();
    const manifest = manifestOf(records, images);
    const back = readBundleRecords(manifest);
    expect(back.panels.map((p) => p.id)).toEqual(records.panels.map((p) => p.id));
    expect(() =>
      checkReferences(back, new Set(manifest.images.map((i) => i.sha256)), new Set()),
    ).not.toThrow();
  });

  it('an older panel in a bundle is migrated like a stored one', () => {
    const { records, images } = library();
    const manifest = manifestOf(records, images);
    const old = {
      ...(manifest.panels[0] as Panel),
      schemaVersion: 2,
      dialogue: [{ speakerId: null, text: 'Hi.' }],
    } as never;
    manifest.panels[0] = old;
    delete (manifest.panels[0] as Record<string, unknown>).lettering;
    const back = readBundleRecords(manifest);
    expect(back.panels[0]!.dialogue).toEqual([
      { id: 'line-1', speakerId: null, kind: 'speech', text: 'Hi.' },
    ]);
  });

  it('refuses records that break their schema or point outside the bundle, naming them', () => {
    const { records, images } = library();
    const bad = manifestOf(records, images);
    (bad.characters[0] as Record<string, unknown>).name = '';
    expect(() => readBundleRecords(bad)).toThrow(/character “.+” cannot be read: A character needs a name/);
    const m = manifestOf(records, images);
    const back = readBundleRecords(m);
    expect(() => checkReferences(back, new Set([sha(2)]), new Set())).toThrow(
      /“Mira” refers to an image that is not in the bundle/,
    );
    const lonely = { ...back, characters: [] };
    expect(() => checkReferences(lonely, new Set([sha(1), sha(2)]), new Set())).toThrow(
      /neither in the bundle nor in your library/,
    );
    expect(() =>
      checkReferences(lonely, new Set([sha(1), sha(2)]), new Set([records.characters[0]!.id])),
    ).not.toThrow();
    const twice = { ...back, panels: [...back.panels, back.panels[0]!] };
    expect(() => checkReferences(twice, new Set([sha(1), sha(2)]), new Set())).toThrow(
      /lists the panel “.+” twice/,
    );
  });
});

describe('importing into a library that already has them', () => {
  const ids = () => {
    let n = 0;
    return () => `new-${++n}`;
  };
  it('finds the same character, the same story and the same bundle', () => {
    const { records } = library();
    const c = findConflicts(
      records,
      {
        characters: new Map([[records.characters[0]!.id, 'Mira']]),
        stories: new Map([[records.stories[0]!.id, 'Harbour']]),
        bundles: new Set(['b1']),
      },
      'b1',
    );
    expect([c.characters.length, c.stories.length, c.importedBefore]).toEqual([1, 1, true]);
  });

  it('copy: new ids everywhere and every reference follows; images get new ids', () => {
    const { records } = library();
    const conflicts = findConflicts(
      records,
      {
        characters: new Map([[records.characters[0]!.id, 'Mira']]),
        stories: new Map([[records.stories[0]!.id, 'H']]),
        bundles: new Set(),
      },
      'x',
    );
    const plan = planImport(records, conflicts, 'copy', ids());
    const [c] = plan.characters;
    const [s] = plan.stories;
    expect(c!.id).not.toBe(records.characters[0]!.id);
    expect(c!.name).toBe('Mira (copy)');
    expect(s!.id).not.toBe(records.stories[0]!.id);
    expect(s!.panelIds).toEqual(plan.panels.map((p) => p.id));
    expect(plan.panels.every((p) => p.storyId === s!.id)).toBe(true);
    expect(plan.panels[0]!.cast[0]!.characterId).toBe(c!.id);
    expect(plan.panels[0]!.dialogue[0]!.speakerId).toBe(c!.id);
    expect(plan.panels[0]!.acceptedAttemptId).toBe(plan.attempts[0]!.id);
    expect(
      plan.attempts.every((a) => a.storyId === s!.id && plan.panels.some((p) => p.id === a.panelId)),
    ).toBe(true);
    expect(plan.replacedStories).toEqual([]);
    expect([...plan.imageIds.values()].every((id) => id.startsWith('new-'))).toBe(true);
  });

  it('replace keeps the ids and lists the replaced story; skip leaves conflicting records out', () => {
    const { records } = library();
    const conflicts = findConflicts(
      records,
      {
        characters: new Map([[records.characters[0]!.id, 'Mira']]),
        stories: new Map([[records.stories[0]!.id, 'H']]),
        bundles: new Set(),
      },
      'x',
    );
    const replace = planImport(records, conflicts, 'replace', ids());
    expect(replace.stories[0]!.id).toBe(records.stories[0]!.id);
    expect(replace.replacedStories).toEqual([records.stories[0]!.id]);
    const skip = planImport(records, conflicts, 'skip', ids());
    expect([skip.characters.length, skip.stories.length, skip.panels.length, skip.attempts.length]).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it('planning leaves the opened records as they were, so a cancelled import can be planned again', () => {
    const { records } = library();
    const before = structuredClone(records);
    const none = { characters: new Map(), stories: new Map(), bundles: new Set<string>() };
    const first = planImport(records, findConflicts(records, none, 'x'), 'copy', ids());
    expect(records).toEqual(before);
    const again = planImport(records, findConflicts(records, none, 'x'), 'copy', ids());
    expect(again.characters).toEqual(first.characters);
    expect([...again.imageIds.keys()]).toEqual([...first.imageIds.keys()]);
  });

  it('a copied name stays within the limit', () => {
    expect(copyName('x'.repeat(80))).toHaveLength(80);
  });
});
