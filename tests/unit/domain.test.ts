import { describe, expect, it } from 'vitest';
import {
  CAMERA_ANGLES,
  CHECK_KINDS,
  CHECK_KIND_LABELS,
  Character,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  JudgeReport,
  Panel,
  POSES,
  RegionBox,
  SHOT_SIZES,
  StoryLoomError,
  newCastMember,
  newCharacter,
  newPanel,
  parseOrThrow,
} from '../../src/lib/domain';
import type { Term } from '../../src/lib/domain';

const messageOf = (work: () => unknown): string => {
  try {
    work();
  } catch (e) {
    expect(e).toBeInstanceOf(StoryLoomError);
    expect((e as StoryLoomError).code).toBe('invalid-input');
    return (e as StoryLoomError).message;
  }
  throw new Error('expected a StoryLoomError, nothing was thrown');
};

describe('vocabularies', () => {
  it('has exactly 28 poses and 12 expressions', () => {
    expect(POSES).toHaveLength(28);
    expect(EXPRESSIONS).toHaveLength(12);
  });

  it.each([
    ['poses', POSES],
    ['expressions', EXPRESSIONS],
    ['facings', FACINGS],
    ['gazes', GAZES],
    ['shot sizes', SHOT_SIZES],
    ['camera angles', CAMERA_ANGLES],
  ] as [string, readonly Term[]][])(
    '%s have unique kebab-case ids and non-empty label, draw and check phrases',
    (_name, terms) => {
      const ids = terms.map((t) => t.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const t of terms) {
        expect(t.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
        expect(t.label.trim()).not.toBe('');
        expect(t.draw.trim()).not.toBe('');
        expect(t.check.trim()).not.toBe('');
      }
      // Draw phrases are prompt text: two terms drawing the same way could not be told apart.
      expect(new Set(terms.map((t) => t.draw)).size).toBe(terms.length);
    },
  );
});

describe('judge check kinds', () => {
  it('name every kind in words', () => {
    for (const kind of CHECK_KINDS) expect(CHECK_KIND_LABELS[kind].trim(), kind).not.toBe('');
  });

  it('still read a report judged with the retired yes/no checklist', () => {
    const old = {
      checks: [
        {
          id: 'checklist#0',
          kind: 'checklist',
          label: 'Is the girl smiling?',
          characterId: 'mira',
          score: 1,
          threshold: 1,
          passed: true,
          hard: false,
          box: null,
          detail: 'Answer: yes (expected yes). VLM said: "Yes."',
        },
      ],
      verdict: 'pass',
      weightedScore: 1,
      judgedAt: 1,
    };
    expect(JudgeReport.parse(old).checks[0]!.kind).toBe('checklist');
  });
});

describe('schema messages are sentences a person can act on', () => {
  it('an empty character name', () => {
    const c = newCharacter(1, '   ');
    expect(messageOf(() => parseOrThrow(Character, c, 'character'))).toBe(
      'A character needs a name: enter 1 to 80 characters.',
    );
  });

  it('a missing character name', () => {
    const { name: _name, ...c } = newCharacter(1, 'x');
    expect(messageOf(() => parseOrThrow(Character, c, 'character'))).toBe('A character needs a name.');
  });

  it('a pose outside the vocabulary names the allowed poses and the bad value', () => {
    const panel = newPanel('s1', 1);
    panel.cast = [{ ...newCastMember('c1'), pose: 'moonwalking' as never }];
    const message = messageOf(() => parseOrThrow(Panel, panel, 'panel'));
    expect(message).toMatch(
      /^Pose must be one of: standing, walking, running, .*celebrating; got "moonwalking"\.$/,
    );
    for (const pose of POSES) expect(message).toContain(pose.id);
  });

  it('an expression outside the vocabulary', () => {
    const panel = newPanel('s1', 1);
    panel.cast = [{ ...newCastMember('c1'), expression: 'smug' as never }];
    expect(messageOf(() => parseOrThrow(Panel, panel, 'panel'))).toMatch(
      /^Expression must be one of: neutral, .*; got "smug"\.$/,
    );
  });

  it('a region box outside the panel', () => {
    expect(messageOf(() => parseOrThrow(RegionBox, { x: 0.6, y: 0, w: 0.5, h: 1 }, 'region'))).toBe(
      'The region box must lie inside the panel: x + width and y + height may be at most 1.',
    );
    expect(messageOf(() => parseOrThrow(RegionBox, { x: -0.1, y: 0, w: 0.5, h: 1 }, 'region'))).toBe(
      'The region box must start inside the panel (x ≥ 0).',
    );
    expect(messageOf(() => parseOrThrow(RegionBox, { x: 0, y: 0, w: 0, h: 1 }, 'region'))).toBe(
      'The region box needs a width greater than 0.',
    );
  });

  it('a region box inside the panel passes, edges included', () => {
    expect(parseOrThrow(RegionBox, { x: 0.5, y: 0, w: 0.5, h: 1 }, 'region')).toEqual({
      x: 0.5,
      y: 0,
      w: 0.5,
      h: 1,
    });
  });

  it('a character cast twice in one panel', () => {
    const panel = newPanel('s1', 1);
    panel.cast = [newCastMember('c1', 0, 2), newCastMember('c1', 1, 2)];
    expect(messageOf(() => parseOrThrow(Panel, panel, 'panel'))).toBe(
      'A character can appear only once in a panel.',
    );
  });

  it('a bad palette colour', () => {
    const c = { ...newCharacter(1, 'Mira'), palette: ['red'] };
    expect(messageOf(() => parseOrThrow(Character, c, 'character'))).toBe(
      'Palette colours must be written as #rrggbb, for example #c8553d.',
    );
  });

  it('the factories produce valid records', () => {
    expect(() => parseOrThrow(Character, newCharacter(1, 'Mira'), 'character')).not.toThrow();
    const panel = newPanel('s1', 1);
    panel.cast = [newCastMember('a', 0, 3), newCastMember('b', 1, 3), newCastMember('c', 2, 3)];
    expect(() => parseOrThrow(Panel, panel, 'panel')).not.toThrow();
  });
});
