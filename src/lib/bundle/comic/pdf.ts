/**
 * The comic as a PDF: one PDF page per reader page, sized from the layout (1 page unit = 1/96 in =
 * 0.75 pt), the picture layer as a JPEG at the chosen resolution, and the lettering on top as
 * vectors — balloon bodies and tails as paths, the lines in the embedded lettering font — so text
 * stays sharp and selectable at any zoom. A page whose text the embedded faces do not cover
 * (a script the bundled fonts lack) gets its lettering raster instead: the caller renders that page
 * with its lettering and the result names it.
 *
 * Coordinates: the layout's y grows downwards from the page's top, PDF's upwards from its bottom.
 * Paths go through pdf-lib's `drawSvgPath`, which itself maps (x, y) to (x0 + s·x, y0 − s·y): with
 * the origin at the page's top-left (0, heightPt) and s = 0.75 the SVG is drawn in place. Text is
 * placed with an explicit text matrix at (0.75·x − width/2, heightPt − 0.75·y).
 */
import fontkit from '@pdf-lib/fontkit';
import {
  LineJoinStyle,
  PDFDocument,
  TextRenderingMode,
  beginText,
  endText,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  setFillingRgbColor,
  setFontAndSize,
  setLineJoin,
  setLineWidth,
  setStrokingRgbColor,
  setTextMatrix,
  setTextRenderingMode,
  showText,
  type PDFFont,
  type PDFName,
  type PDFPage,
} from 'pdf-lib';
import { StoryLoomError } from '../../domain/errors';
import { letteringWeight, type FontWeight } from '../../layout/fonts';
import { LETTERING_STYLE } from '../../layout/paint';
import type { BalloonLayout, LetteringFont, PageLayout } from '../../layout/types';

/** PDF points per page unit (72 pt per inch, 96 units per inch). */
export const PT_PER_UNIT = 72 / 96;

/**
 * A lettering face's file: TTF, OTF or WOFF. Not WOFF2: fontkit 1.1.1 reads it, but the glyphs of
 * its subsets come out without their outlines (checked: "Hello" in Comic Neue's woff2 subset has
 * 0–6 path commands per glyph, the woff subset 12–32), so buildPdf refuses it.
 */
export interface PdfFontFace {
  font: LetteringFont;
  weight: FontWeight;
  bytes: Uint8Array;
}

export interface PdfPageInput {
  page: PageLayout;
  /**
   * The page's picture as JPEG (or PNG) bytes: without lettering when `lettering` is false, with it
   * when the lettering has to be raster. Called once per page.
   */
  image(options: { lettering: boolean }): Promise<Uint8Array>;
}

export interface PdfOptions {
  /** Faces to letter with, tried in order for each (font, weight); none = every page raster. */
  fonts: PdfFontFace[];
  title?: string;
  author?: string;
  subject?: string;
  /** BCP 47, e.g. `en`. */
  language?: string;
  /** Fixed dates make the file reproducible; default now. */
  date?: Date;
  signal?: AbortSignal;
}

export interface PdfResult {
  bytes: Uint8Array;
  /** `page.index` of pages whose lettering is part of the picture (text the fonts do not cover). */
  rasterLetteredPages: number[];
}

interface Face {
  font: LetteringFont;
  weight: FontWeight;
  bytes: Uint8Array;
  covers: Set<number>;
  embedded: PDFFont | null;
}

const INK = [0, 0, 0] as const;
const PAPER = [1, 1, 1] as const;

/** A stretch of a line lettered in one face. */
interface Run {
  text: string;
  face: Face;
}

/**
 * The line split into runs of the first face (of the balloon's font and weight) that has each
 * character — the bundled families come split by script (Bangers: latin, latin-ext, vietnamese),
 * so "KRAŠ!" takes two faces — or null when some character is in none of them.
 */
function runsOf(faces: Face[], balloon: BalloonLayout, text: string): Run[] | null {
  const weight = letteringWeight(balloon.kind, balloon.font);
  const candidates = faces.filter((f) => f.font === balloon.font && f.weight === weight);
  const runs: Run[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    // A space belongs to the run it is in, whichever face has it.
    const last = runs.at(-1);
    const face = last?.face.covers.has(cp) ? last.face : candidates.find((f) => f.covers.has(cp));
    if (!face) return null;
    if (last && last.face === face) last.text += ch;
    else runs.push({ text: ch, face });
  }
  return runs;
}

/** Each line's runs, or null when the balloon has a character no face has. */
function balloonRuns(faces: Face[], balloon: BalloonLayout): Run[][] | null {
  const lines: Run[][] = [];
  for (const line of balloon.lines) {
    const runs = runsOf(faces, balloon, line.text);
    if (!runs) return null;
    lines.push(runs);
  }
  return lines;
}

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;

function drawBalloonShapes(pdfPage: PDFPage, balloon: BalloonLayout, heightPt: number): void {
  if (balloon.kind === 'sfx') return;
  const shapes = [balloon.bodyPath, balloon.tailPath].filter((d) => d.trim() !== '');
  const at = { x: 0, y: heightPt, scale: PT_PER_UNIT };
  const dash = balloon.kind === 'whisper' ? [...LETTERING_STYLE.whisperDash] : undefined;
  pdfPage.pushOperators(pushGraphicsState(), setLineJoin(LineJoinStyle.Round));
  // As the painter: a stroke of twice the outline width under the fills, so body and tail join.
  // Widths and dashes are in the path's space (page units): drawSvgPath sets them after its scale.
  for (const d of shapes)
    pdfPage.drawSvgPath(d, {
      ...at,
      borderColor: rgb(...INK),
      borderWidth: LETTERING_STYLE.balloonStroke * 2,
      borderDashArray: dash,
    });
  for (const d of shapes) pdfPage.drawSvgPath(d, { ...at, color: rgb(...PAPER) });
  pdfPage.pushOperators(popGraphicsState());
}

type Embed = (face: Face) => Promise<PDFFont>;

const fontKeys = new WeakMap<PDFPage, Map<PDFFont, PDFName>>();

/** The page's resource name of `font`, added once per page. */
function fontKey(pdfPage: PDFPage, font: PDFFont): PDFName {
  let keys = fontKeys.get(pdfPage);
  if (!keys) fontKeys.set(pdfPage, (keys = new Map()));
  let key = keys.get(font);
  if (!key) keys.set(font, (key = pdfPage.node.newFontDictionary(font.name, font.ref)));
  return key;
}

async function drawBalloonLines(
  pdfPage: PDFPage,
  balloon: BalloonLayout,
  lines: Run[][],
  embed: Embed,
  heightPt: number,
): Promise<void> {
  if (balloon.lines.length === 0) return;
  const size = balloon.fontSize * PT_PER_UNIT;
  const placed: { font: PDFFont; key: PDFName; text: string; x: number; y: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const runs = await Promise.all(lines[i]!.map(async (r) => ({ text: r.text, font: await embed(r.face) })));
    const widths = runs.map((r) => r.font.widthOfTextAtSize(r.text, size));
    const { x, y } = balloon.lines[i]!;
    // Centred on the line's x, as the canvas's textAlign = 'center'.
    let left = x * PT_PER_UNIT - widths.reduce((a, b) => a + b, 0) / 2;
    runs.forEach((r, j) => {
      const key = fontKey(pdfPage, r.font);
      placed.push({ font: r.font, key, text: r.text, x: left, y: heightPt - y * PT_PER_UNIT });
      left += widths[j]!;
    });
  }
  const show = (mode: TextRenderingMode) => {
    for (const p of placed)
      pdfPage.pushOperators(
        setTextRenderingMode(mode),
        setFontAndSize(p.key, size),
        setTextMatrix(1, 0, 0, 1, p.x, p.y),
        showText(p.font.encodeText(p.text)),
      );
  };
  pdfPage.pushOperators(pushGraphicsState(), beginText());
  if (balloon.kind === 'sfx') {
    const width = Math.max(2, balloon.fontSize * LETTERING_STYLE.sfxOutline) * PT_PER_UNIT;
    pdfPage.pushOperators(
      setStrokingRgbColor(...PAPER),
      setLineWidth(width),
      setLineJoin(LineJoinStyle.Round),
    );
    show(TextRenderingMode.Outline);
  }
  pdfPage.pushOperators(setFillingRgbColor(...INK));
  show(TextRenderingMode.Fill);
  pdfPage.pushOperators(endText(), popGraphicsState());
}

/** The PDF of `pages` in order. Rejects with a sentence when a picture is neither JPEG nor PNG. */
export async function buildPdf(pages: PdfPageInput[], options: PdfOptions): Promise<PdfResult> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const date = options.date ?? new Date();
  if (options.title) doc.setTitle(options.title, { showInWindowTitleBar: true });
  if (options.author) doc.setAuthor(options.author);
  if (options.subject) doc.setSubject(options.subject);
  if (options.language) doc.setLanguage(options.language);
  doc.setCreator('StoryLoom');
  doc.setProducer('StoryLoom (pdf-lib)');
  doc.setCreationDate(date);
  doc.setModificationDate(date);

  const woff2 = options.fonts.find((f) => String.fromCharCode(...f.bytes.subarray(0, 4)) === 'wOF2');
  if (woff2)
    throw new StoryLoomError(
      'invalid-input',
      `The ${woff2.font} ${woff2.weight} face is WOFF2, which does not subset into a PDF: give its WOFF, TTF or OTF file.`,
    );
  const faces: Face[] = options.fonts.map((f) => ({
    ...f,
    covers: new Set(fontkit.create(f.bytes).characterSet),
    embedded: null,
  }));
  const embed = async (face: Face) => (face.embedded ??= await doc.embedFont(face.bytes, { subset: true }));

  const rasterLetteredPages: number[] = [];
  for (const input of pages) {
    options.signal?.throwIfAborted();
    const { page } = input;
    const balloons = page.cells.flatMap((c) => c.balloons);
    const runs = balloons.map((b) => balloonRuns(faces, b));
    const vector = runs.every((r) => r !== null);
    if (!vector) rasterLetteredPages.push(page.index);

    const widthPt = page.width * PT_PER_UNIT;
    const heightPt = page.height * PT_PER_UNIT;
    const pdfPage = doc.addPage([widthPt, heightPt]);
    const bytes = await input.image({ lettering: !vector });
    const image = isJpeg(bytes)
      ? await doc.embedJpg(bytes)
      : isPng(bytes)
        ? await doc.embedPng(bytes)
        : (() => {
            throw new StoryLoomError(
              'invalid-input',
              `The picture of page ${page.index + 1} is neither JPEG nor PNG; only those go into a PDF.`,
            );
          })();
    pdfPage.drawImage(image, { x: 0, y: 0, width: widthPt, height: heightPt });
    if (!vector) continue;
    for (let i = 0; i < balloons.length; i++) {
      const balloon = balloons[i]!;
      drawBalloonShapes(pdfPage, balloon, heightPt);
      await drawBalloonLines(pdfPage, balloon, runs[i]!, embed, heightPt);
    }
  }
  return { bytes: await doc.save(), rasterLetteredPages };
}
