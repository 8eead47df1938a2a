import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFRawStream,
  decodePDFRawStream,
  type PDFPage,
} from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { buildPdf, PT_PER_UNIT, type PdfFontFace, type PdfPageInput } from '../../src/lib/bundle/comic/pdf';
import type { BalloonLayout, PageLayout } from '../../src/lib/layout/types';

// 16 × 16 baseline JPEG (made once with sharp: a flat brown square, quality 50).
const JPEG = Uint8Array.from(
  atob(
    '/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAABf/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/ALACyL//2Q==',
  ),
  (c) => c.charCodeAt(0),
);

const font = (file: string) => new Uint8Array(readFileSync(`node_modules/@fontsource/${file}`));
const FONTS: PdfFontFace[] = [
  { font: 'dialogue', weight: 400, bytes: font('comic-neue/files/comic-neue-latin-400-normal.woff') },
  { font: 'dialogue', weight: 700, bytes: font('comic-neue/files/comic-neue-latin-700-normal.woff') },
  { font: 'display', weight: 400, bytes: font('bangers/files/bangers-latin-400-normal.woff') },
  { font: 'display', weight: 400, bytes: font('bangers/files/bangers-latin-ext-400-normal.woff') },
];

// A4 in page units (1/96 in).
const A4 = { width: (210 / 25.4) * 96, height: (297 / 25.4) * 96 };

const balloon = (over: Partial<BalloonLayout>): BalloonLayout => ({
  balloonId: 'b',
  kind: 'speech',
  speakerId: 'c1',
  pinned: false,
  box: { x: 20, y: 20, w: 100, h: 50 },
  bodyPath: 'M20 45 A50 25 0 1 0 120 45 A50 25 0 1 0 20 45 Z',
  tailPath: 'M60 68 L50 90 L75 66 Z',
  tailTip: { x: 50, y: 90 },
  font: 'dialogue',
  fontSize: 14,
  lineHeight: 16,
  lines: [
    { text: 'Hello', x: 70, y: 40 },
    { text: 'there!', x: 70, y: 56 },
  ],
  overflow: false,
  ...over,
});

const pageOf = (index: number, balloons: BalloonLayout[]): PageLayout => ({
  index,
  templateId: 'one',
  ...A4,
  cells: [
    {
      panelId: `p${index}`,
      order: 0,
      frame: { x: 40, y: 40, w: A4.width - 80, h: A4.height - 80 },
      crop: { x: 0, y: 0, w: 1, h: 1 },
      cast: [],
      balloons,
    },
  ],
});

function contentOf(page: PDFPage): string {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFRawStream ? [contents] : [];
  if (contents instanceof PDFArray)
    for (let i = 0; i < contents.size(); i++)
      streams.push(page.doc.context.lookup(contents.get(i)) as PDFRawStream);
  return streams.map((s) => new TextDecoder('latin1').decode(decodePDFRawStream(s).decode())).join('\n');
}

describe('buildPdf', () => {
  const covered = pageOf(0, [
    balloon({ balloonId: 's' }),
    balloon({ balloonId: 'w', kind: 'whisper', tailPath: '', lines: [{ text: 'psst…', x: 70, y: 48 }] }),
    balloon({
      balloonId: 'x',
      kind: 'sfx',
      font: 'display',
      fontSize: 40,
      bodyPath: '',
      tailPath: '',
      lines: [{ text: 'KRAŠ!', x: 300, y: 500 }],
    }),
  ]);
  const uncovered = pageOf(1, [balloon({ balloonId: 'r', lines: [{ text: 'Привет', x: 70, y: 48 }] })]);
  const asked: { index: number; lettering: boolean }[] = [];
  const input = (page: PageLayout): PdfPageInput => ({
    page,
    image: async ({ lettering }) => {
      asked.push({ index: page.index, lettering });
      return JPEG;
    },
  });

  it('reads back with the page count, A4 sizes in points and vector lettering where the font covers it', async () => {
    const result = await buildPdf([input(covered), input(uncovered)], {
      fonts: FONTS,
      title: 'The Lighthouse',
      date: new Date('2026-01-01T00:00:00Z'),
    });
    expect(result.rasterLetteredPages).toEqual([1]);
    expect(asked).toEqual([
      { index: 0, lettering: false },
      { index: 1, lettering: true },
    ]);
    const doc = await PDFDocument.load(result.bytes);
    expect(doc.getPageCount()).toBe(2);
    expect(doc.getTitle()).toBe('The Lighthouse');
    for (const page of doc.getPages()) {
      expect(page.getWidth()).toBeCloseTo(595.28, 1);
      expect(page.getHeight()).toBeCloseTo(841.89, 1);
    }
    const [first, second] = doc.getPages().map(contentOf);
    // Lines drawn as text: speech 2, whisper 1, and the sfx "KRAŠ!" in three runs ("KRA" and "!"
    // from Bangers' latin file, "Š" from its latin-ext file), twice (white outline, then ink).
    expect(first!.match(/\bTj\b/g)).toHaveLength(3 + 2 * 3);
    expect(first).toMatch(/\b1 Tr\b/); // the sfx outline
    // The whisper's dash, in page units (drawSvgPath sets it after its scale).
    expect(first).toMatch(/\[6 4\] 0 d/);
    // The picture fills the page.
    expect(first).toMatch(/595\.27\d* 0 0 841\.88\d* 0 0 cm/);
    // The uncovered page has its lettering in the picture: no text, no balloon paths.
    expect(second).not.toMatch(/\bTj\b/);
    expect(second).not.toMatch(/\bB\b|\bf\b/);
    // The fonts are embedded (subset) and named after their family.
    const fonts = doc.getPages()[0]!.node.Resources()!.lookup(PDFName.of('Font'), PDFDict);
    const names = fonts
      .values()
      .map((ref) => String((doc.context.lookup(ref) as PDFDict).get(PDFName.of('BaseFont'))));
    expect(names.some((n) => /ComicNeue/i.test(n))).toBe(true);
    expect(names.some((n) => /Bangers/i.test(n))).toBe(true);
  });

  it('places paths and text with the y axis flipped from the top of the page', async () => {
    const page = pageOf(0, [balloon({ lines: [{ text: 'Hi', x: 200, y: 100 }] })]);
    const { bytes } = await buildPdf([{ page, image: async () => JPEG }], { fonts: FONTS });
    const text = contentOf((await PDFDocument.load(bytes)).getPages()[0]!);
    const heightPt = A4.height * PT_PER_UNIT;
    // drawSvgPath: translate to the page's top-left, then scale (0.75, −0.75): SVG (x, y) → (0.75x, H − 0.75y).
    const origin = /1 0 0 1 0 ([\d.]+) cm\n1 0 0 1 0 0 cm\n0\.75 0 0 -0\.75 0 0 cm/.exec(text)!;
    expect(Number(origin[1])).toBeCloseTo(heightPt, 6);
    expect(text).toMatch(/0\.75 0 0 -0\.75 0 0 cm/);
    expect(text).toMatch(/20 45 m/);
    // The text line's baseline at H − 0.75·y, centred on 0.75·x.
    const tm = /1 0 0 1 ([\d.]+) ([\d.]+) Tm/.exec(text)!;
    expect(Number(tm[2])).toBeCloseTo(heightPt - 100 * PT_PER_UNIT, 3);
    expect(Number(tm[1])).toBeLessThan(200 * PT_PER_UNIT);
    expect(Number(tm[1])).toBeGreaterThan(200 * PT_PER_UNIT - 20);
  });

  it('with no fonts every lettered page is raster; a picture that is not an image is refused', async () => {
    const r = await buildPdf([{ page: pageOf(0, [balloon({})]), image: async () => JPEG }], { fonts: [] });
    expect(r.rasterLetteredPages).toEqual([0]);
    await expect(
      buildPdf([{ page: pageOf(0, []), image: async () => new Uint8Array([1, 2, 3]) }], { fonts: [] }),
    ).rejects.toThrow(/neither JPEG nor PNG/);
  });

  it('embeds subset fonts whose glyphs keep their outlines, and refuses WOFF2 (its subsets lose them)', async () => {
    const page = pageOf(0, [balloon({ lines: [{ text: 'Hello', x: 200, y: 100 }] })]);
    const { bytes } = await buildPdf([{ page, image: async () => JPEG }], { fonts: FONTS });
    const doc = await PDFDocument.load(bytes);
    const outlines: number[] = [];
    for (const [, obj] of doc.context.enumerateIndirectObjects()) {
      if (!(obj instanceof PDFDict) || obj.get(PDFName.of('Type')) !== PDFName.of('FontDescriptor')) continue;
      const file = doc.context.lookup(obj.get(PDFName.of('FontFile2'))) as PDFRawStream;
      const subset = fontkit.create(decodePDFRawStream(file).decode());
      // Glyph 0 is .notdef; H, e, l, o follow. (fontkit's typings leave out Path.commands.)
      for (let g = 1; g < subset.numGlyphs; g++) {
        const path = subset.getGlyph(g).path as unknown as { commands: unknown[] };
        outlines.push(path.commands.length);
      }
    }
    expect(outlines).toHaveLength(4);
    for (const n of outlines) expect(n).toBeGreaterThan(8);
    const woff2 = font('comic-neue/files/comic-neue-latin-400-normal.woff2');
    await expect(
      buildPdf([{ page, image: async () => JPEG }], {
        fonts: [{ font: 'dialogue', weight: 400, bytes: woff2 }],
      }),
    ).rejects.toThrow(/WOFF2/);
  });
});
