import { describe, expect, it } from 'vitest';
import {
  BASE_NEGATIVE,
  compilePanel,
  EncoderCache,
  identityText,
  SCENE_ONLY_NEGATIVE,
  transientText,
} from '../../src/lib/prompt';
import { newCastMember, newCharacter, newPanel, newStory, SHOT_SIZES } from '../../src/lib/domain';
import { editChunks, regionsFor } from '../../workers/attempt-flow';
import type { Character, Panel } from '../../src/lib/domain';

function mira(): Character {
  return {
    ...newCharacter(1, 'Mira'),
    id: 'mira',
    hair: 'copper bob',
    eyes: 'green',
    wardrobe: [{ item: 'scarf', color: 'red' }],
    verified: true,
    templateVersion: 3,
  };
}
function tomas(): Character {
  return { ...newCharacter(1, 'Tomas'), id: 'tomas', hair: 'black curly', verified: true };
}

function panel(): Panel {
  const story = newStory(1, 'The Lantern');
  const p = newPanel(story.id, 1);
  p.cast = [
    { ...newCastMember('mira', 0, 2), pose: 'jumping', expression: 'laughing' },
    { ...newCastMember('tomas', 1, 2), pose: 'sitting', expression: 'sad' },
  ];
  p.scene.location = 'night market';
  return p;
}

const cast = new Map([
  ['mira', mira()],
  ['tomas', tomas()],
]);

describe('conditioning compiler', () => {
  it('keeps identity apart from transient attributes', () => {
    const id = identityText(mira());
    expect(id).toContain('copper bob hair');
    expect(id).toContain('wearing red scarf');
    expect(id).not.toContain('laugh');
    const tr = transientText(panel().cast[0]!, mira());
    expect(tr).toContain('jumping in the air');
    expect(tr).toContain('laughing');
    expect(tr).not.toContain('copper');
  });

  it('emits identity + transient per character, then the scene chunk', () => {
    const { chunks, negative } = compilePanel(panel(), { style: 'ink wash' }, cast);
    expect(chunks.map((c) => `${c.kind}:${c.characterId}`)).toEqual([
      'identity:mira',
      'transient:mira',
      'identity:tomas',
      'transient:tomas',
      'scene:null',
    ]);
    expect(chunks[4]!.text).toContain('night market');
    expect(chunks[4]!.text).toContain('ink wash');
    expect(negative.kind).toBe('negative');
  });

  it('changes only the transient key when only an expression changes', () => {
    const a = compilePanel(panel(), { style: '' }, cast);
    const p = panel();
    p.cast[0]!.expression = 'angry';
    const b = compilePanel(p, { style: '' }, cast);
    const changed = a.chunks
      .filter((c, i) => c.key !== b.chunks[i]!.key)
      .map((c) => `${c.kind}:${c.characterId}`);
    expect(changed).toEqual(['transient:mira']);
  });

  it('keys identity by template version', () => {
    const a = compilePanel(panel(), { style: '' }, cast);
    const bumped = new Map(cast);
    bumped.set('mira', { ...mira(), templateVersion: 4 });
    const b = compilePanel(panel(), { style: '' }, bumped);
    expect(a.chunks[0]!.key).not.toBe(b.chunks[0]!.key);
  });

  it('refuses unverified characters with a sentence', () => {
    const unverified = new Map(cast);
    unverified.set('tomas', { ...tomas(), verified: false });
    expect(() => compilePanel(panel(), { style: '' }, unverified)).toThrow(/Tomas has no verified template/);
  });

  it('applies weights, front-loading and extra negatives', () => {
    const { chunks, negative } = compilePanel(panel(), { style: '' }, cast, {
      characterWeights: { mira: { transient: 1.5 } },
      frontLoad: { mira: ['laughing with an open mouth'] },
      extraNegatives: ['closed mouth'],
    });
    expect(chunks[1]!.weight).toBe(1.5);
    expect(chunks[1]!.text.startsWith('laughing with an open mouth')).toBe(true);
    expect(chunks[3]!.weight).toBe(1);
    expect(negative.text).toContain('closed mouth');
  });
});

describe('encoder cache', () => {
  it('re-encodes only the chunk that changed', async () => {
    const cache = new EncoderCache<string>({ encode: async (t) => `states(${t})` });
    const encodeAll = (p: Panel) =>
      Promise.all(compilePanel(p, { style: '' }, cast).chunks.map((c) => cache.get(c.key, c.text)));
    await encodeAll(panel());
    expect(cache.encodeCount).toBe(5);
    const p = panel();
    p.cast[1]!.expression = 'surprised';
    const states = await encodeAll(p);
    expect(cache.encodeCount).toBe(6);
    expect(states[3]).toContain('surprised');
  });

  it('evicts the least recently used entry and disposes it', async () => {
    const disposed: string[] = [];
    const cache = new EncoderCache<string>(
      { encode: async (t) => t },
      { limit: 2, dispose: (s) => disposed.push(s) },
    );
    await cache.get('a', 'A');
    await cache.get('b', 'B');
    await cache.get('a', 'A');
    await cache.get('c', 'C');
    await Promise.resolve();
    expect(disposed).toEqual(['B']);
    expect(cache.size).toBe(2);
  });

  it('does not cache a failed encode', async () => {
    let fail = true;
    const cache = new EncoderCache<string>({
      encode: async (t) => {
        if (fail) throw new Error('device lost');
        return t;
      },
    });
    await expect(cache.get('k', 'x')).rejects.toThrow('device lost');
    fail = false;
    await expect(cache.get('k', 'x')).resolves.toBe('x');
    expect(cache.encodeCount).toBe(2);
  });
});

describe('a scene-only panel (no cast)', () => {
  it('compiles to the scene chunk alone, from scene, composition and style, with figures in the negative', () => {
    const p = panel();
    p.cast = [];
    p.scene.weather = 'fog';
    const { chunks, negative } = compilePanel(p, { style: 'ink wash' }, new Map());
    expect(chunks.map((c) => `${c.kind}:${c.characterId}`)).toEqual(['scene:null']);
    const text = chunks[0]!.text;
    for (const part of ['night market', 'fog', 'ink wash']) expect(text).toContain(part);
    expect(text).toContain(SHOT_SIZES.find((t) => t.id === p.composition.shotSize)!.draw);
    expect(negative.text.startsWith(BASE_NEGATIVE)).toBe(true);
    expect(negative.text).toContain(SCENE_ONLY_NEGATIVE);
    // A panel with a cast keeps its figures out of the negative.
    expect(compilePanel(panel(), { style: '' }, cast).negative.text).not.toContain(SCENE_ONLY_NEGATIVE);
  });

  it('feeds regions and edits with the scene chunk only', () => {
    const p = panel();
    p.cast = [];
    const { chunks } = compilePanel(p, { style: '' }, new Map());
    expect(regionsFor(p, chunks)).toEqual({ chunks, regions: null });
    expect(editChunks(p, chunks, { x: 0.2, y: 0.2, w: 0.3, h: 0.3 })).toEqual(chunks);
  });
});
