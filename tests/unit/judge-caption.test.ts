import { describe, expect, it } from 'vitest';
import {
  analyseCaption,
  captionItems,
  checkCore,
  countStatements,
  figureMentions,
  findMentions,
  firstMention,
  scoreCaptionItem,
  stem,
} from '../../src/lib/judge';
import type { CaptionItem, CountItem } from '../../src/lib/judge';
import { EXPRESSIONS, POSES, newCastMember, newCharacter, newPanel } from '../../src/lib/domain';
import type { Character } from '../../src/lib/domain';

const mentioned = (caption: string, phrase: string) =>
  firstMention(analyseCaption(caption), [phrase])?.excerpt ?? null;

describe('stem', () => {
  it.each([
    ['smile', 'smil'],
    ['smiles', 'smil'],
    ['smiling', 'smil'],
    ['sitting', 'sit'],
    ['sits', 'sit'],
    ['crossed', 'cross'],
    ['crossing', 'cross'],
    ['arms', 'arm'],
    ['haired', 'hair'],
    ['people', 'person'],
    ['women', 'woman'],
    ['lying', 'lie'],
    ['lies', 'lie'],
    ['falling', 'fall'],
    ['falls', 'fall'],
    ['ladies', 'lady'],
    ['dresses', 'dress'],
    ['harbours', 'harbor'],
    ['grey', 'gray'],
    ['coloured', 'color'],
    ['blonde', 'blond'],
    ['red', 'red'],
    ['bed', 'bed'],
    ['morning', 'morning'],
    ['evening', 'evening'],
    ['buildings', 'building'],
  ])('%s → %s', (word, expected) => {
    expect(stem(word)).toBe(expected);
  });
});

describe('findMentions', () => {
  it('matches whole words through plural, -ing and -ed forms, case-insensitively', () => {
    expect(mentioned('A girl SMILES at the camera.', 'smiling')).toBe('A girl SMILES at the camera');
    expect(mentioned('Two girls stand together.', 'girl')).not.toBeNull();
    expect(mentioned('She sat on a cat-shaped catalog.', 'cat')).not.toBeNull();
    expect(mentioned('A catalog lies open.', 'cat')).toBeNull();
    expect(mentioned('A big party.', 'art')).toBeNull();
  });

  it('skips articles, "to be" and possessives inside a phrase', () => {
    expect(mentioned('Her arms are crossed over her chest.', 'arms crossed')).toBe(
      'Her arms are crossed over her chest',
    );
    expect(mentioned('She stands with her hands on her hips.', 'hands on hips')).not.toBeNull();
  });

  it('lets * stand for up to two words, never across a comma or a sentence', () => {
    expect(mentioned('A girl with red curly hair.', 'red * hair')).not.toBeNull();
    expect(mentioned('A girl with red hair.', 'red * hair')).not.toBeNull();
    expect(mentioned('Her hair is red.', 'hair * red')).not.toBeNull();
    expect(mentioned('A red jacket and long hair.', 'red * hair')).toBeNull();
    expect(mentioned('A red scarf, hair in a bun.', 'red * hair')).toBeNull();
    expect(mentioned('It is red. Hair is long.', 'red * hair')).toBeNull();
  });

  it('marks negated mentions: "no people" is no person in the picture', () => {
    const c = analyseCaption('There are no people in the street. The girl is not smiling.');
    expect(findMentions(c, 'person')).toEqual([expect.objectContaining({ negated: true })]);
    expect(findMentions(c, 'smiling')).toEqual([
      expect.objectContaining({ negated: true, excerpt: '…girl is not smiling' }),
    ]);
    expect(firstMention(c, ['smiling', 'people'])).toBeNull();
    expect(figureMentions(c, new Set(['person']))).toEqual([]);
    expect(figureMentions(c, new Set(['person', 'girl'])).map((m) => m.excerpt)).toEqual([
      'The girl is not smiling',
    ]);
  });

  it('does not carry negation across a comma, a sentence or more than three words', () => {
    expect(mentioned('He is not tall, and she smiles.', 'smiling')).not.toBeNull();
    expect(mentioned('No rain. She smiles.', 'smiling')).not.toBeNull();
    expect(mentioned('Without any doubt the little girl smiles.', 'smiling')).not.toBeNull();
    expect(mentioned('She is without a smile.', 'smile')).toBeNull();
    expect(mentioned("She isn't smiling.", 'smiling')).toBeNull();
  });

  it('keeps excerpts short and within the sentence', () => {
    const long = `A ${'very '.repeat(40)}long sentence ends with a smile.`;
    const excerpt = mentioned(long, 'smile')!;
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt).toContain('smile');
    expect(excerpt.length).toBeLessThanOrEqual(102);
  });
});

describe('countStatements', () => {
  const figures = new Set(['person', 'girl', 'woman', 'man', 'boy', 'fox', 'child']);
  const count = (caption: string) =>
    countStatements(analyseCaption(caption), figures).map((s) => [s.value, s.explicit]);

  it.each([
    ['Two girls stand on a bridge.', [[2, true]]],
    ['Two young women talk.', [[2, true]]],
    ['3 children play.', [[3, true]]],
    ['A couple of people walk by.', [[2, true]]],
    ['A man and a woman dance.', [[2, true]]],
    ['A boy, a girl and a fox sit.', [[3, true]]],
    ['Two girls and a fox.', [[3, true]]],
    ['A girl stands by the sea.', [[1, false]]],
    [
      'A girl stands next to a fox.',
      [
        [1, false],
        [1, false],
      ],
    ],
    ['A group of people.', []],
    ['There is no one here and no people.', []],
    ['One of them waves.', []],
    ['Not two girls.', []],
  ])('%s', (caption, expected) => {
    expect(count(caption)).toEqual(expected);
  });
});

describe('captionItems', () => {
  const mira: Character = {
    ...newCharacter(1, 'Mira'),
    id: 'mira',
    species: 'girl',
    hair: 'copper bob',
  };
  const tomas: Character = {
    ...newCharacter(1, 'Tomas'),
    id: 'tomas',
    species: 'red fox',
    hair: 'long',
  };
  const plain: Character = { ...newCharacter(1, 'Pat'), id: 'pat', species: 'person' };
  const characters = new Map([
    ['mira', mira],
    ['tomas', tomas],
    ['pat', plain],
  ]);

  it('derives one item per thing the caption can confirm, from the spec', () => {
    const p = newPanel('s', 1);
    p.cast = [
      { ...newCastMember('mira', 0, 2), expression: 'smiling', pose: 'arms-crossed' },
      { ...newCastMember('tomas', 1, 2), pose: 'sitting' },
    ];
    p.scene.location = 'the night market';
    p.scene.timeOfDay = 'dusk';
    const items = captionItems(p, characters);
    expect(items.map((i) => [i.id, i.label])).toEqual([
      ['caption#expression@mira', "Caption mentions Mira's expression: Smiling"],
      ['caption#pose@mira', "Caption mentions Mira's pose: Arms crossed"],
      ['caption#hair@mira', "Caption mentions Mira's copper hair"],
      ['caption#species@mira', 'Caption mentions Mira as a girl'],
      ['caption#expression@tomas', "Caption mentions Tomas's expression: Neutral"],
      ['caption#pose@tomas', "Caption mentions Tomas's pose: Sitting"],
      ['caption#species@tomas', 'Caption mentions Tomas as a red fox'],
      ['caption#location', 'Caption mentions the location: the night market'],
      ['caption#time', 'Caption mentions the time of day: dusk'],
      ['caption#count', 'Caption mentions 2 characters'],
    ]);
    const byId = (id: string) => items.find((i) => i.id === id)!;
    expect(byId('caption#expression@mira')).toMatchObject({
      characterId: 'mira',
      box: p.cast[0]!.region,
      parts: [expect.arrayContaining(['smiling', 'grin'])],
    });
    expect(byId('caption#pose@mira')).toMatchObject({
      parts: [expect.arrayContaining(['arms crossed', 'folded arms'])],
    });
    expect(byId('caption#pose@tomas')).toMatchObject({
      parts: [expect.arrayContaining(['sitting on a chair', 'sitting', 'seated'])],
    });
    expect(byId('caption#hair@mira')).toMatchObject({
      parts: [expect.arrayContaining(['copper * hair', 'ginger * hair', 'hair * red'])],
    });
    expect(byId('caption#species@tomas')).toMatchObject({ parts: [['red fox', 'fox']] });
    expect(byId('caption#location')).toMatchObject({
      characterId: null,
      box: null,
      parts: [['night'], expect.arrayContaining(['market', 'stalls'])],
    });
    expect(byId('caption#time')).toMatchObject({ parts: [expect.arrayContaining(['dusk', 'sunset'])] });
    const count = byId('caption#count') as CountItem;
    expect(count.expected).toBe(2);
    expect(count.figures).toEqual(expect.arrayContaining(['person', 'girl', 'fox']));
  });

  it('leaves out what the spec does not say: no colour, a plain person, no location', () => {
    const p = newPanel('s', 1);
    p.cast = [newCastMember('pat', 0, 1)];
    const ids = captionItems(p, characters).map((i) => i.id);
    expect(ids).toEqual(['caption#expression@pat', 'caption#pose@pat', 'caption#time', 'caption#count']);
    expect(captionItems(newPanel('s', 1), characters).map((i) => [i.id, i.label])).toEqual([
      ['caption#time', 'Caption mentions the time of day: afternoon'],
      ['caption#count', 'Caption mentions no one'],
    ]);
  });

  it('strips the frame of every vocabulary check phrase', () => {
    expect(checkCore('a face with a neutral expression')).toBe('neutral expression');
    expect(checkCore('a smiling face')).toBe('smiling');
    expect(checkCore('a person with arms crossed')).toBe('arms crossed');
    for (const t of [...POSES, ...EXPRESSIONS]) {
      expect(checkCore(t.check), t.id).not.toMatch(/^(a|an|the|person|face|with)\b/);
    }
  });
});

describe('scoreCaptionItem', () => {
  const item = (parts: string[][]): CaptionItem => ({
    id: 'caption#location',
    topic: 'location',
    label: 'x',
    characterId: null,
    box: null,
    parts,
  });
  const count = (expected: number): CaptionItem => ({
    id: 'caption#count',
    topic: 'count',
    label: 'x',
    characterId: null,
    box: null,
    expected,
    figures: ['person', 'girl', 'woman', 'fox'],
  });
  const score = (i: CaptionItem, caption: string) => scoreCaptionItem(i, analyseCaption(caption));

  it('scores the share of parts mentioned, with the excerpt or what was looked for', () => {
    const night = [['night'], ['market', 'stalls']];
    expect(score(item(night), 'Lanterns light the stalls of a night market.')).toEqual({
      score: 1,
      detail: 'Mentioned: "…stalls of a night market"; "Lanterns light the stalls of a night…".',
    });
    expect(score(item(night), 'A girl walks past market stalls.')).toEqual({
      score: 0.5,
      detail: 'Mentioned: "…girl walks past market stalls"; not mentioned: night.',
    });
    expect(score(item([['smiling', 'grin', 'happy', 'cheerful', 'joyful']]), 'A girl.')).toEqual({
      score: 0,
      detail: 'Not mentioned (looked for smiling, grin, happy, cheerful, …).',
    });
    expect(score(item([['red * hair']]), 'A girl.').detail).toBe('Not mentioned (looked for red hair).');
    expect(score(item([['smiling']]), 'The girl is not smiling.')).toEqual({
      score: 0,
      detail: 'Mentioned only as absent: "…girl is not smiling".',
    });
    expect(score(item([['smiling']]), '')).toEqual({
      score: 0,
      detail: 'Not mentioned: the caption is empty.',
    });
  });

  it.each([
    [2, 'Two girls stand on the pier.', 1, 'Says 2: "Two girls stand on the…".'],
    [2, 'A girl and a fox sit on a bench.', 1, 'Says 2: "A girl and a fox sit on a…".'],
    [2, 'A girl looks at a fox.', 1, 'Says 2: "A girl looks at a…"; "…girl looks at a fox".'],
    [1, 'A girl stands in front of a wall.', 1, 'Says 1: "A girl stands in front…".'],
    [1, 'Three women and a girl wave.', 0, 'Says 4, expected 1: "Three women and a girl wave".'],
    [1, 'A wall at night.', 0, 'Not mentioned (the caption states no number of figures).'],
    [0, 'An empty street with no people.', 1, 'No one is mentioned.'],
    [0, 'A girl in an empty street.', 0, 'Mentions someone: "A girl in an empty…".'],
  ])('count %i in %j', (expected, caption, s, detail) => {
    expect(score(count(expected), caption)).toEqual({ score: s, detail });
  });
});
