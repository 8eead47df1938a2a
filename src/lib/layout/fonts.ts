/**
 * The lettering fonts: one CSS font stack per `LetteringFont`, the weight each balloon kind is
 * lettered in, and the one font shorthand the canvas painter, the text measurer and the reader's
 * SVG all use, so what is measured is what is drawn.
 *
 * The bundled families come from @fontsource/comic-neue 5.3.0 and @fontsource/bangers 5.3.0
 * (read from their metadata.json / unicode.json): Comic Neue ships only the `latin` subset
 * (weights 300, 400, 700), Bangers ships `latin`, `latin-ext` and `vietnamese` (weight 400 only).
 * Every other script falls through the stack to the system's fonts.
 */
import type { BalloonKind, LetteringFont } from './types';

export type FontWeight = 400 | 700;

/** The bundled family of each lettering font (the first entry of its stack). */
export const LETTERING_FAMILIES: Readonly<Record<LetteringFont, string>> = {
  dialogue: 'Comic Neue',
  display: 'Bangers',
};

// Fallbacks after the bundled family: a look-alike where the system has one, then families that
// cover Cyrillic, Greek, CJK, Arabic, Hebrew, Devanagari…, then the generic family.
const SCRIPT_FALLBACKS = [
  "'Noto Sans'",
  "'Noto Sans CJK JP'",
  "'Noto Sans Arabic'",
  "'Noto Sans Hebrew'",
  "'Noto Sans Devanagari'",
  "'Segoe UI'",
  "'PingFang SC'",
  "'Hiragino Sans'",
  "'Microsoft YaHei'",
  'system-ui',
  'sans-serif',
];

/** The CSS font-family stack of each lettering font. */
export const FONT_STACKS: Readonly<Record<LetteringFont, string>> = {
  dialogue: ["'Comic Neue'", "'Comic Sans MS'", "'Chalkboard SE'", ...SCRIPT_FALLBACKS].join(', '),
  display: ["'Bangers'", "'Impact'", "'Haettenschweiler'", "'Arial Black'", ...SCRIPT_FALLBACKS].join(', '),
};

/** The weights of each bundled family the app loads (Bangers has no bold: it is never faked). */
export const LETTERING_WEIGHTS: Readonly<Record<LetteringFont, readonly FontWeight[]>> = {
  dialogue: [400, 700],
  display: [400],
};

/** The weight a balloon kind is lettered in: shouts and sound effects bold where the font has a bold. */
export function letteringWeight(kind: BalloonKind, font: LetteringFont): FontWeight {
  if (font === 'display') return 400;
  return kind === 'shout' || kind === 'sfx' ? 700 : 400;
}

/**
 * The weight text is measured at. The contract's `TextMeasurer` knows the font but not the kind,
 * so it measures at the heaviest weight the font is lettered in: bold is never narrower, so a
 * fitted line never overflows when it is drawn lighter.
 */
export function measureWeight(font: LetteringFont): FontWeight {
  return Math.max(...LETTERING_WEIGHTS[font]) as FontWeight;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The CSS font shorthand (`700 18.5px 'Comic Neue', …`), valid for canvas `ctx.font` and SVG `font`. */
export function cssFont(font: LetteringFont, fontSize: number, weight: FontWeight = 400): string {
  return `${weight} ${round2(fontSize)}px ${FONT_STACKS[font]}`;
}

/** Which scripts the bundled faces cover, per package (shown to the artist beside the lettering). */
export const BUNDLED_SUBSETS: Readonly<Record<LetteringFont, readonly string[]>> = {
  dialogue: ['latin'],
  display: ['latin', 'latin-ext', 'vietnamese'],
};

export const LETTERING_FONT_NOTE =
  'The bundled lettering fonts cover Latin only: Comic Neue (dialogue and captions) ships the basic ' +
  'Latin subset, Bangers (shouts and sound effects) ships Latin, Latin Extended and Vietnamese. ' +
  'Other scripts (Cyrillic, Greek, Chinese, Japanese, Korean, Arabic, Hebrew, Devanagari…) and ' +
  'Latin Extended letters in dialogue are drawn with fonts installed on this device, so their ' +
  'lettering may look different here and on other machines.';
