/**
 * Text fitting: greedy word wrap against the width of the body at each line's height, a binary
 * search for the largest font size that fits, and the choice of a body size for a text.
 */
import { bandWidth, regionCentreX, regionSpan, textRegion, type TextRegion } from './shapes';
import type { BalloonKind, LetteredLine, LetteringFont, Rect, TextMeasurer } from './types';

export const LINE_HEIGHT = 1.2;
export const ASCENT = 0.8;
/** Half the leading above the ascent: the baseline sits this far (× size) below its band's top. */
const BASELINE_IN_BAND = (LINE_HEIGHT - 1) / 2 + ASCENT;
export const FONT_STEP = 0.5;

export const MIN_FONT_SIZE = 9;
/** Dialogue stays conversational whatever the font; a sound effect may be loud. */
export const MAX_FONT_SIZE = 22;
export const SFX_MAX_FONT_SIZE = 40;

/** The band [top, bottom] a line with baseline `y` occupies. */
export function lineBand(y: number, fontSize: number): [number, number] {
  const top = y - BASELINE_IN_BAND * fontSize;
  return [top, top + LINE_HEIGHT * fontSize];
}

export interface FittedText {
  fontSize: number;
  lineHeight: number;
  lines: LetteredLine[];
  overflow: boolean;
}

export interface FitOptions {
  min?: number;
  max?: number;
  /** The artist's size: no search, only the overflow check. */
  fixedSize?: number | null;
}

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w.length > 0);

/** Fit `text` into the text region of a body of `kind`. */
export function fitText(
  text: string,
  kind: BalloonKind,
  body: Rect,
  font: LetteringFont,
  measure: TextMeasurer,
  opts: FitOptions = {},
): FittedText {
  const region = textRegion(kind, body);
  const ws = words(text);
  const min = opts.min ?? MIN_FONT_SIZE;
  const max = Math.max(min, opts.max ?? maxFontSize(kind));
  const at = (size: number, breakWords: boolean) => layoutAt(ws, region, font, measure, size, breakWords);
  const result = (size: number, lines: LetteredLine[] | null): FittedText => ({
    fontSize: size,
    lineHeight: LINE_HEIGHT * size,
    lines: lines ?? overflowLines(ws, region, font, measure, size),
    overflow: lines === null,
  });

  if (opts.fixedSize != null) return result(opts.fixedSize, at(opts.fixedSize, true));
  // Whole words first: a word is cut by characters only when it is wider than a line even at
  // the minimum size, never just to reach a larger size.
  const whole = searchSize(min, max, (size) => at(size, false));
  if (whole) return result(whole.size, whole.lines);
  const cut = searchSize(min, max, (size) => at(size, true));
  return cut ? result(cut.size, cut.lines) : result(min, null);
}

/**
 * Binary search over the sizes min + i·step for the largest one that fits (assuming, as wrapping
 * nearly always gives, that whatever fits also fits smaller). Null when even min does not.
 */
export function searchSize(
  min: number,
  max: number,
  fits: (size: number) => LetteredLine[] | null,
): { size: number; lines: LetteredLine[] } | null {
  const minLines = fits(min);
  if (!minLines) return null;
  let lo = 0;
  let hi = Math.floor((max - min) / FONT_STEP + 1e-9);
  const topLines = fits(min + hi * FONT_STEP);
  if (topLines) return { size: min + hi * FONT_STEP, lines: topLines };
  let loLines = minLines;
  // Invariant: lo fits, hi does not.
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const lines = fits(min + mid * FONT_STEP);
    if (lines) [lo, loLines] = [mid, lines];
    else hi = mid;
  }
  return { size: min + lo * FONT_STEP, lines: loLines };
}

export function maxFontSize(kind: BalloonKind): number {
  return kind === 'sfx' ? SFX_MAX_FONT_SIZE : MAX_FONT_SIZE;
}

/**
 * Lay the words out at one size, or null when they do not fit. Tries 1, 2, … lines, each block
 * centred vertically, because the widths available depend on where the lines fall.
 */
export function layoutAt(
  ws: string[],
  region: TextRegion,
  font: LetteringFont,
  measure: TextMeasurer,
  size: number,
  breakWords = true,
): LetteredLine[] | null {
  if (ws.length === 0) return [];
  const lh = LINE_HEIGHT * size;
  const [y0, y1] = regionSpan(region);
  const maxLines = Math.floor((y1 - y0) / lh + 1e-9);
  const cx = regionCentreX(region);
  // No line is wider than the widest chord, so fewer lines than this cannot hold the letters
  // (the 0.9 leaves room for kerning in a real measurer); skipping them saves most of the work.
  const widest = bandWidth(region, (y0 + y1) / 2, (y0 + y1) / 2);
  if (widest <= 0) return null;
  const fewest = Math.max(1, Math.floor((0.9 * measure(ws.join(''), font, size)) / widest));
  for (let k = fewest; k <= maxLines; k++) {
    const top = (y0 + y1) / 2 - (k * lh) / 2;
    const widths = Array.from({ length: k }, (_, i) => bandWidth(region, top + i * lh, top + (i + 1) * lh));
    const texts = wrap(ws, widths, (s) => measure(s, font, size), breakWords);
    if (texts) return texts.map((t, i) => ({ text: t, x: cx, y: top + i * lh + BASELINE_IN_BAND * size }));
  }
  return null;
}

/**
 * Greedy wrap into lines of the given widths; a word wider than a whole line is broken by
 * characters. Null when the words need more lines than there are.
 */
export function wrap(
  ws: string[],
  widths: number[],
  width: (s: string) => number,
  breakWords = true,
): string[] | null {
  const lines: string[] = [];
  let queue = ws.slice();
  for (const max of widths) {
    if (queue.length === 0) break;
    let line = '';
    while (queue.length > 0) {
      const word = queue[0]!;
      const next = line ? `${line} ${word}` : word;
      if (width(next) <= max) {
        line = next;
        queue.shift();
        continue;
      }
      if (line) break;
      if (!breakWords) return null;
      const cut = longestPrefix(word, max, width);
      if (cut === 0) return null;
      line = word.slice(0, cut);
      queue = [word.slice(cut), ...queue.slice(1)];
      break;
    }
    lines.push(line);
  }
  return queue.length === 0 ? lines : null;
}

function longestPrefix(word: string, max: number, width: (s: string) => number): number {
  let n = 0;
  while (n < word.length && width(word.slice(0, n + 1)) <= max) n++;
  return n;
}

/** At the minimum size nothing fits: wrap to the widest chord and let the lines spill, centred. */
function overflowLines(
  ws: string[],
  region: TextRegion,
  font: LetteringFont,
  measure: TextMeasurer,
  size: number,
): LetteredLine[] {
  const [y0, y1] = regionSpan(region);
  const widest = Math.max(1, bandWidth(region, (y0 + y1) / 2, (y0 + y1) / 2));
  const texts = wrapLoose(ws, widest, (s) => measure(s, font, size));
  const lh = LINE_HEIGHT * size;
  const top = (y0 + y1) / 2 - (texts.length * lh) / 2;
  const cx = regionCentreX(region);
  return texts.map((t, i) => ({ text: t, x: cx, y: top + i * lh + BASELINE_IN_BAND * size }));
}

function wrapLoose(ws: string[], max: number, width: (s: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of ws) {
    const next = line ? `${line} ${w}` : w;
    if (line && width(next) > max) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

// --- body size -----------------------------------------------------------------------------

interface BodyStyle {
  aspect: number;
  readable: number;
  capW: number;
  capH: number;
}

/** Shapes and caps per kind: balloons are ~1.6:1, captions are strips, sfx are loose. */
function bodyStyle(kind: BalloonKind): BodyStyle {
  if (kind === 'caption') return { aspect: 4, readable: 13, capW: 0.9, capH: 0.3 };
  if (kind === 'sfx') return { aspect: 2.2, readable: 24, capW: 0.5, capH: 0.4 };
  return { aspect: 1.6, readable: 14, capW: 0.45, capH: 0.4 };
}

const GROWTH = 1.08;

/**
 * The body size for a text in a cell: start small at the kind's aspect and grow (width first,
 * then height once the width is capped) until the text fits at a readable size or both caps
 * are reached.
 */
export function sizeBody(
  text: string,
  kind: BalloonKind,
  font: LetteringFont,
  measure: TextMeasurer,
  cell: Rect,
  readable?: number,
): { w: number; h: number } {
  const style = bodyStyle(kind);
  const size = readable ?? style.readable;
  const capW = cell.w * style.capW;
  const capH = cell.h * style.capH;
  const ws = words(text);
  const lineArea = measure(text, font, size) * LINE_HEIGHT * size;
  // An ellipse holds roughly half its box in usable text area: start a little below that.
  let w = Math.min(capW, Math.max(3 * size, Math.sqrt(lineArea * style.aspect * 1.6)));
  let h = Math.min(capH, Math.max(LINE_HEIGHT * size * 1.6, w / style.aspect));
  for (let i = 0; i < 60; i++) {
    if (layoutAt(ws, textRegion(kind, { x: 0, y: 0, w, h }), font, measure, size, false)) break;
    if (w < capW) {
      w = Math.min(capW, w * GROWTH);
      h = Math.min(capH, Math.max(h, w / style.aspect));
    } else if (h < capH) h = Math.min(capH, h * GROWTH);
    else break;
  }
  return { w, h };
}
