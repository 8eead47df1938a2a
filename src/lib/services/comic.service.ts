/**
 * Comic exports from the reader's pages: the files of a CBZ (ComicInfo.xml and the pages, to be
 * zipped by the bundle's zip writer), a PDF with vector lettering, a webtoon strip in slices, and a
 * PNG per page. Pages are painted by the render service; the formats are pure (bundle/comic).
 */
import { comicInfoXml } from '../bundle/comic/comicinfo';
import { pageFileName, pageFileNames, type PageImageExtension } from '../bundle/comic/pages';
import { buildPdf, type PdfFontFace } from '../bundle/comic/pdf';
import { webtoonSlices } from '../bundle/comic/webtoon';
import { StoryLoomError } from '../domain/errors';
import { createZipWriter } from '../bundle/zip/write';
import type { ReadingDirection } from '../domain/schema';
import { renderSize } from '../layout/paint';
import type { PageLayout } from '../layout/types';
import { renderPageImage, renderPagePng, type PagePicture } from './render.service';
// WOFF (not WOFF2) for the PDF: fontkit subsets WOFF reliably; the files ship hashed in dist/.
import comicNeue400 from '@fontsource/comic-neue/files/comic-neue-latin-400-normal.woff?url';
import comicNeue700 from '@fontsource/comic-neue/files/comic-neue-latin-700-normal.woff?url';
import bangersLatin from '@fontsource/bangers/files/bangers-latin-400-normal.woff?url';
import bangersLatinExt from '@fontsource/bangers/files/bangers-latin-ext-400-normal.woff?url';
import bangersVietnamese from '@fontsource/bangers/files/bangers-vietnamese-400-normal.woff?url';

/** One page to export: its layout and its panels' pictures. */
export interface ComicPageSource {
  page: PageLayout;
  pictures: PagePicture[];
}

export interface ComicStoryInfo {
  title: string;
  premise?: string;
  direction: ReadingDirection;
  writer?: string;
  languageIso?: string;
  characters?: string[];
}

export interface ComicFile {
  name: string;
  blob: Blob;
}

const PDF_FACES: (Omit<PdfFontFace, 'bytes'> & { url: string })[] = [
  { font: 'dialogue', weight: 400, url: comicNeue400 },
  { font: 'dialogue', weight: 700, url: comicNeue700 },
  { font: 'display', weight: 400, url: bangersLatin },
  { font: 'display', weight: 400, url: bangersLatinExt },
  { font: 'display', weight: 400, url: bangersVietnamese },
];

let pdfFonts: Promise<PdfFontFace[]> | null = null;

/** The bundled faces' bytes, fetched once; a face that fails is skipped (its pages go raster). */
function loadPdfFonts(): Promise<PdfFontFace[]> {
  pdfFonts ??= Promise.all(
    PDF_FACES.map(async ({ font, weight, url }): Promise<PdfFontFace | null> => {
      try {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return { font, weight, bytes: new Uint8Array(await res.arrayBuffer()) };
      } catch (e) {
        console.warn(`StoryLoom: the PDF font ${url} did not load; its text is lettered raster.`, e);
        return null;
      }
    }),
  ).then((faces) => faces.filter((f): f is PdfFontFace => f !== null));
  return pdfFonts;
}

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

/** How far a comic export is: pages rendered of all. */
export interface ComicProgress {
  done: number;
  total: number;
  what: string;
}

export interface ComicExportOptions {
  signal?: AbortSignal;
  onProgress?: (p: ComicProgress) => void;
}

/**
 * A PNG per page at `dpi`, named like the CBZ's pages (`001.png`…) in reading order, rendered one
 * at a time as the consumer (the zip writer) takes them: one page's picture is held at once.
 */
export async function* comicPagePngs(
  pages: ComicPageSource[],
  dpi: number,
  options: ComicExportOptions = {},
): AsyncGenerator<ComicFile> {
  const names = pageFileNames(pages.length, 'png');
  for (const [i, { page, pictures }] of pages.entries()) {
    options.signal?.throwIfAborted();
    const size = renderSize(page, dpi);
    if (!size.ok) throw new StoryLoomError('invalid-input', `Page ${i + 1}: ${size.message}`);
    yield { name: names[i]!, blob: await renderPagePng(page, pictures, dpi, options.signal) };
    options.onProgress?.({ done: i + 1, total: pages.length, what: 'pages' });
  }
}

/** Every page as a PNG (see comicPagePngs), in one zip. */
export function comicPagesZip(pages: ComicPageSource[], dpi: number, options: ComicExportOptions = {}) {
  return zipFiles(comicPagePngs(pages, dpi, options), options.signal);
}

/**
 * The files of a CBZ, `ComicInfo.xml` first and then the pages in reading order (cover first; a
 * right-to-left story says so in `Manga`). The zip writer stores them flat, in this order.
 */
export async function comicCbzFiles(
  story: ComicStoryInfo,
  pages: ComicPageSource[],
  options: { dpi: number; format?: 'png' | 'jpeg'; quality?: number } & ComicExportOptions,
): Promise<ComicFile[]> {
  const format = options.format ?? 'png';
  const ext: PageImageExtension = format === 'jpeg' ? 'jpg' : 'png';
  const files: ComicFile[] = [];
  const infoPages = [];
  for (const [i, { page, pictures }] of pages.entries()) {
    const size = renderSize(page, options.dpi);
    if (!size.ok) throw new StoryLoomError('invalid-input', `Page ${i + 1}: ${size.message}`);
    const blob = await renderPageImage(page, pictures, options.dpi, {
      format,
      quality: options.quality,
      signal: options.signal,
    });
    files.push({ name: pageFileName(i, pages.length, ext), blob });
    infoPages.push({ width: size.width, height: size.height, imageSize: blob.size });
    options.onProgress?.({ done: i + 1, total: pages.length, what: 'pages' });
  }
  const xml = comicInfoXml({
    title: story.title,
    summary: story.premise,
    writer: story.writer,
    languageIso: story.languageIso,
    direction: story.direction,
    characters: story.characters,
    format: story.direction === 'webtoon' ? 'Web Comic' : undefined,
    pages: infoPages,
  });
  return [{ name: 'ComicInfo.xml', blob: new Blob([xml], { type: 'application/xml' }) }, ...files];
}

/**
 * The story as a PDF: pictures as JPEG at `dpi`, lettering as vectors where the bundled fonts cover
 * the text (the other pages' lettering is part of their picture, listed in `rasterLetteredPages`).
 */
export async function comicPdf(
  story: ComicStoryInfo,
  pages: ComicPageSource[],
  options: { dpi: number; quality?: number } & ComicExportOptions,
): Promise<{ blob: Blob; rasterLetteredPages: number[] }> {
  const fonts = await loadPdfFonts();
  let done = 0;
  const { bytes, rasterLetteredPages } = await buildPdf(
    pages.map(({ page, pictures }) => ({
      page,
      image: async ({ lettering }) => {
        const jpeg = await bytesOf(
          await renderPageImage(page, pictures, options.dpi, {
            format: 'jpeg',
            quality: options.quality ?? 0.9,
            lettering,
            signal: options.signal,
          }),
        );
        options.onProgress?.({ done: ++done, total: pages.length, what: 'pages' });
        return jpeg;
      },
    })),
    {
      fonts,
      title: story.title,
      author: story.writer,
      subject: story.premise,
      language: story.languageIso,
      signal: options.signal,
    },
  );
  return {
    blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }),
    rasterLetteredPages,
  };
}

/** A webtoon strip as slices under 16 megapixels each, `001.jpg`… top to bottom. */
export async function webtoonStrip(
  strip: ComicPageSource,
  options: {
    dpi: number;
    format?: 'png' | 'jpeg';
    quality?: number;
    maxPixels?: number;
  } & ComicExportOptions,
): Promise<ComicFile[]> {
  const format = options.format ?? 'jpeg';
  const slices = webtoonSlices(strip.page, options.dpi, options.maxPixels);
  const ext: PageImageExtension = format === 'jpeg' ? 'jpg' : 'png';
  const files: ComicFile[] = [];
  for (const [i, region] of slices.entries()) {
    files.push({
      name: pageFileName(i, slices.length, ext),
      blob: await renderPageImage(strip.page, strip.pictures, options.dpi, {
        region,
        format,
        quality: options.quality,
        signal: options.signal,
      }),
    });
    options.onProgress?.({ done: i + 1, total: slices.length, what: 'slices' });
  }
  return files;
}

/**
 * Files into one zip Blob, flat and in order, pictures stored (they are compressed already). Each
 * file is added as it comes (an async source is consumed one file at a time), and the chunks are
 * kept as Blob parts, which the browser may keep on disk for large archives.
 */
export async function zipFiles(
  files: Iterable<ComicFile> | AsyncIterable<ComicFile>,
  signal?: AbortSignal,
): Promise<Blob> {
  const parts: Blob[] = [];
  const zip = createZipWriter(async (chunk) => void parts.push(new Blob([chunk as Uint8Array<ArrayBuffer>])));
  for await (const f of files) {
    signal?.throwIfAborted();
    await zip.add(f.name, f.blob, { compress: f.name.endsWith('.xml') });
  }
  await zip.close();
  return new Blob(parts, { type: 'application/zip' });
}

/** A CBZ: ComicInfo.xml and the pages, zipped. */
export async function comicCbz(
  story: ComicStoryInfo,
  pages: ComicPageSource[],
  options: { dpi: number; format?: 'png' | 'jpeg'; quality?: number } & ComicExportOptions,
): Promise<Blob> {
  const zipped = await zipFiles(await comicCbzFiles(story, pages, options), options.signal);
  return new Blob([zipped], { type: 'application/vnd.comicbook+zip' });
}
