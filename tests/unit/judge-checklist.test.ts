import { describe, expect, it } from 'vitest';
import {
  answerScore,
  countQuestion,
  describeCharacter,
  explanationLine,
  generateChecklist,
  parseYesNo,
} from '../../src/lib/judge';
import { newCastMember, newCharacter, newPanel } from '../../src/lib/domain';
import type { Character } from '../../src/lib/domain';

describe('parseYesNo', () => {
  it.each([
    ['Yes.', 'yes'],
    ['yes, she is', 'yes'],
    ['YES', 'yes'],
    ['  \n yes', 'yes'],
    ['<s>Yes</s>', 'yes'],
    ['</s><s>yes</s><pad><pad>', 'yes'],
    ['"Yes"', 'yes'],
    ['Answer: yes', 'yes'],
    ['Yeah', 'yes'],
    ['Yep!', 'yes'],
    ['I think so', 'yes'],
    ['Absolutely', 'yes'],
    ['Well, yes', 'yes'],
    ['The answer is yes.', 'yes'],
    ['No', 'no'],
    ['no.', 'no'],
    ['Nope', 'no'],
    ['Not really', 'no'],
    ['Definitely not', 'no'],
    ["I don't think so", 'no'],
    ['No, she is frowning', 'no'],
    ["I'd say no.", 'no'],
    ['', 'unclear'],
    ['   ', 'unclear'],
    ['Yes and no', 'unclear'],
    ['Maybe', 'unclear'],
    ['Hard to tell', 'unclear'],
    ["I can't tell from the picture", 'unclear'],
    ['Not sure', 'unclear'],
    ['There are two people', 'unclear'],
    ['<s></s>', 'unclear'],
  ])('%j → %s', (raw, expected) => {
    expect(parseYesNo(raw)).toBe(expected);
  });

  it('treats null and undefined as unclear', () => {
    expect(parseYesNo(null)).toBe('unclear');
    expect(parseYesNo(undefined)).toBe('unclear');
  });

  it('scores answers; unclear is never a full pass', () => {
    expect(answerScore('yes', 'yes')).toBe(1);
    expect(answerScore('no', 'yes')).toBe(0);
    expect(answerScore('unclear', 'yes')).toBe(0.5);
    expect(answerScore('no', 'no')).toBe(1);
  });

  it('keeps one clean explanation line', () => {
    expect(explanationLine('<s>Yes, she is smiling.</s>\nSecond line')).toBe('Yes, she is smiling.');
    expect(explanationLine('\n\n  No  ')).toBe('No');
    expect(explanationLine('x'.repeat(300))).toHaveLength(160);
  });
});

describe('generateChecklist', () => {
  const mira: Character = {
    ...newCharacter(1, 'Mira'),
    id: 'mira',
    species: 'girl',
    hair: 'copper bob',
    verified: true,
  };
  const tomas: Character = {
    ...newCharacter(1, 'Tomas'),
    id: 'tomas',
    wardrobe: [{ item: 'coat', color: 'green' }],
    verified: true,
  };
  const characters = new Map([
    ['mira', mira],
    ['tomas', tomas],
  ]);

  it('asks about expression and pose per character, the count and the scene', () => {
    const p = newPanel('s', 1);
    p.cast = [
      { ...newCastMember('mira', 0, 2), expression: 'smiling', pose: 'arms-crossed' },
      { ...newCastMember('tomas', 1, 2), pose: 'sitting' },
    ];
    p.scene.location = 'night market';
    const items = generateChecklist(p, characters);
    expect(items.map((i) => i.question)).toEqual([
      'Does the girl with copper bob hair have a smiling face?',
      'Does the girl with copper bob hair have arms crossed?',
      'Does the person wearing green coat have a face with a neutral expression?',
      'Is the person wearing green coat sitting on a chair?',
      'Are there exactly two people in the picture?',
      'Does this picture take place in a night market?',
    ]);
    expect(items.every((i) => i.expected === 'yes')).toBe(true);
    expect(items.map((i) => i.id)).toEqual([
      'checklist#0',
      'checklist#1',
      'checklist#2',
      'checklist#3',
      'checklist#4',
      'checklist#5',
    ]);
    expect(items[0]).toMatchObject({ characterId: 'mira', box: p.cast[0]!.region, topic: 'expression' });
    expect(items[4]).toMatchObject({ characterId: null, box: null, topic: 'count' });
  });

  it('tells look-alikes apart by position and falls back to time of day', () => {
    const twin = { ...mira, id: 'twin' };
    const p = newPanel('s', 1);
    p.cast = [newCastMember('mira', 0, 2), newCastMember('twin', 1, 2)];
    p.scene.timeOfDay = 'night';
    const items = generateChecklist(p, new Map([...characters, ['twin', twin]]));
    expect(items[0]!.question).toContain('the girl with copper bob hair on the left');
    expect(items[2]!.question).toContain('the girl with copper bob hair on the right');
    expect(items.at(-1)!.question).toBe('Is it night in this picture?');
  });

  it.each([
    [0, 'Is the picture free of people?'],
    [1, 'Is there exactly one person in the picture?'],
    [3, 'Are there exactly three people in the picture?'],
  ])('count question for %d', (n, q) => {
    expect(countQuestion(n)).toBe(q);
  });

  it('describes a character without hair or wardrobe by species alone', () => {
    expect(describeCharacter({ ...newCharacter(1, 'Fox'), species: 'red fox' })).toBe('the red fox');
    expect(describeCharacter({ ...mira, hair: 'long black hair' })).toBe('the girl with long black hair');
  });
});
