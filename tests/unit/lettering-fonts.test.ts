import { describe, expect, it } from 'vitest';
import {
  BUNDLED_SUBSETS,
  FONT_STACKS,
  LETTERING_FAMILIES,
  LETTERING_FONT_NOTE,
  LETTERING_WEIGHTS,
  cssFont,
  letteringWeight,
  measureWeight,
} from '../../src/lib/layout/fonts';
import { BALLOON_KINDS, LETTERING_FONTS } from '../../src/lib/layout/types';
import comicNeue from '@fontsource/comic-neue/metadata.json' with { type: 'json' };
import bangers from '@fontsource/bangers/metadata.json' with { type: 'json' };

describe('lettering fonts', () => {
  it('puts the bundled family first, then look-alikes, script fallbacks and a generic family', () => {
    expect(FONT_STACKS.dialogue.startsWith("'Comic Neue', 'Comic Sans MS'")).toBe(true);
    expect(FONT_STACKS.display.startsWith("'Bangers', 'Impact'")).toBe(true);
    for (const font of LETTERING_FONTS) {
      const stack = FONT_STACKS[font];
      expect(stack).toContain("'Noto Sans'");
      expect(stack).toContain("'Noto Sans CJK JP'");
      expect(stack).toContain("'Noto Sans Arabic'");
      expect(stack.endsWith('system-ui, sans-serif')).toBe(true);
    }
  });

  it('names the families and subsets the pinned packages really ship', () => {
    expect(LETTERING_FAMILIES.dialogue).toBe(comicNeue.family);
    expect(LETTERING_FAMILIES.display).toBe(bangers.family);
    expect([...BUNDLED_SUBSETS.dialogue]).toEqual(comicNeue.subsets);
    expect([...BUNDLED_SUBSETS.display]).toEqual(bangers.subsets);
    for (const w of LETTERING_WEIGHTS.dialogue) expect(comicNeue.weights).toContain(w);
    for (const w of LETTERING_WEIGHTS.display) expect(bangers.weights).toContain(w);
    expect(LETTERING_FONT_NOTE).toMatch(/Latin/);
    expect(LETTERING_FONT_NOTE).toMatch(/Cyrillic/);
  });

  it('letters shouts and sound effects bold where the font has a bold, never faking one', () => {
    expect(letteringWeight('shout', 'dialogue')).toBe(700);
    expect(letteringWeight('sfx', 'dialogue')).toBe(700);
    expect(letteringWeight('speech', 'dialogue')).toBe(400);
    for (const kind of BALLOON_KINDS) {
      expect(letteringWeight(kind, 'display')).toBe(400);
      for (const font of LETTERING_FONTS)
        expect(LETTERING_WEIGHTS[font]).toContain(letteringWeight(kind, font));
    }
    expect(measureWeight('dialogue')).toBe(700);
    expect(measureWeight('display')).toBe(400);
  });

  it('writes one CSS font shorthand for canvas and SVG', () => {
    expect(cssFont('dialogue', 18, 700)).toBe(`700 18px ${FONT_STACKS.dialogue}`);
    expect(cssFont('display', 43.756)).toBe(`400 43.76px ${FONT_STACKS.display}`);
  });
});
