import { describe, expect, it } from 'vitest';
import {
  bandWidth,
  fitText,
  FONT_STEP,
  layoutAt,
  lineBand,
  MIN_FONT_SIZE,
  sizeBody,
  textRegion,
  type BalloonKind,
} from '../../../src/lib/layout';
import { fakeMeasure, rng } from './helpers';

const SAMPLE = [
  'Hi!',
  'Where were you last night?',
  'The lantern went dark at midnight, and nobody came to light it again.',
  'Supercalifragilisticexpialidocious nonsense',
  'A B C D E F G H I J K L M N O P',
];
const KINDS: BalloonKind[] = ['speech', 'thought', 'shout', 'whisper', 'caption', 'sfx'];
const words = (s: string) => s.split(/\s+/).filter(Boolean);

describe('text fitting', () => {
  it('keeps every line within the shape at its band, and the text complete', () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const font = kind === 'sfx' ? 'display' : 'dialogue';
      const text = SAMPLE[Math.floor(r() * SAMPLE.length)]!;
      const body = { x: r() * 100, y: r() * 100, w: 60 + r() * 240, h: 40 + r() * 160 };
      const fit = fitText(text, kind, body, font, fakeMeasure);
      if (fit.overflow) continue;
      const region = textRegion(kind, body);
      for (const line of fit.lines) {
        const [y0, y1] = lineBand(line.y, fit.fontSize);
        expect(fakeMeasure(line.text, font, fit.fontSize)).toBeLessThanOrEqual(
          bandWidth(region, y0, y1) + 1e-9,
        );
        expect(line.x).toBeCloseTo(body.x + body.w / 2, 9);
      }
      expect(
        fit.lines
          .map((l) => l.text)
          .join('')
          .replace(/\s/g, ''),
      ).toBe(text.replace(/\s/g, ''));
      expect(fit.lineHeight).toBeCloseTo(1.2 * fit.fontSize, 9);
    }
  });

  it('returns the largest size that fits: one step more would not', () => {
    const region = (body: { x: number; y: number; w: number; h: number }) => textRegion('speech', body);
    for (const text of SAMPLE) {
      const body = { x: 0, y: 0, w: 180, h: 110 };
      const fit = fitText(text, 'speech', body, 'dialogue', fakeMeasure);
      expect(fit.overflow).toBe(false);
      // Whole words are preferred: the search ran in that mode when the text fits unbroken.
      const whole =
        layoutAt(words(text), region(body), 'dialogue', fakeMeasure, fit.fontSize, false) !== null;
      if (fit.fontSize < 22) {
        const bigger = fit.fontSize + FONT_STEP;
        expect(layoutAt(words(text), region(body), 'dialogue', fakeMeasure, bigger, !whole)).toBeNull();
      }
      expect(layoutAt(words(text), region(body), 'dialogue', fakeMeasure, fit.fontSize)).not.toBeNull();
    }
    // A short word in a big body reaches the maximum.
    expect(fitText('Hi!', 'speech', { x: 0, y: 0, w: 300, h: 200 }, 'dialogue', fakeMeasure).fontSize).toBe(
      22,
    );
  });

  it('breaks a word longer than a line by characters', () => {
    const fit = fitText(
      'Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'caption',
      { x: 0, y: 0, w: 100, h: 100 },
      'dialogue',
      fakeMeasure,
    );
    expect(fit.overflow).toBe(false);
    expect(fit.lines.length).toBeGreaterThan(1);
    // …but never cuts a word that fits whole at a smaller size.
    const sfx = fitText('KRAKA-BOOM', 'sfx', { x: 0, y: 0, w: 150, h: 70 }, 'display', fakeMeasure);
    expect(sfx.lines.map((l) => l.text)).toEqual(['KRAKA-BOOM']);
  });

  it('flags overflow and uses the minimum size when nothing fits', () => {
    const fit = fitText(SAMPLE[2]!, 'speech', { x: 0, y: 0, w: 50, h: 30 }, 'dialogue', fakeMeasure);
    expect(fit.overflow).toBe(true);
    expect(fit.fontSize).toBe(MIN_FONT_SIZE);
    expect(fit.lines.length).toBeGreaterThan(0);
  });

  it('honours an artist font size and checks it', () => {
    const body = { x: 0, y: 0, w: 200, h: 120 };
    expect(fitText('Out.', 'speech', body, 'dialogue', fakeMeasure, { fixedSize: 17 })).toMatchObject({
      fontSize: 17,
      overflow: false,
    });
    expect(fitText(SAMPLE[2]!, 'speech', body, 'dialogue', fakeMeasure, { fixedSize: 40 }).overflow).toBe(
      true,
    );
  });

  it('sizes a body for its text: about 1.6:1, within the caps, fitting at a readable size', () => {
    const cell = { x: 0, y: 0, w: 360, h: 500 };
    for (const text of SAMPLE.slice(0, 3)) {
      const size = sizeBody(text, 'speech', 'dialogue', fakeMeasure, cell);
      expect(size.w).toBeLessThanOrEqual(0.45 * cell.w + 1e-9);
      expect(size.h).toBeLessThanOrEqual(0.4 * cell.h + 1e-9);
      const fit = fitText(text, 'speech', { x: 0, y: 0, ...size }, 'dialogue', fakeMeasure);
      expect(fit.overflow).toBe(false);
      expect(fit.fontSize).toBeGreaterThanOrEqual(14);
    }
    const long = sizeBody(SAMPLE[2]!, 'speech', 'dialogue', fakeMeasure, cell);
    const short = sizeBody('Out.', 'speech', 'dialogue', fakeMeasure, cell);
    expect(long.w * long.h).toBeGreaterThan(short.w * short.h);
  });
});
