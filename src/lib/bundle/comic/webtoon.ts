/**
 * A webtoon strip cut into image slices for upload: platforms and image decoders refuse very tall
 * images, so the strip is exported as bands each under a pixel budget (16 megapixels by default),
 * cut in the gutters between panels where it can be, and through a panel only when one panel alone
 * is taller than a slice may be.
 */
import { StoryLoomError } from '../../domain/errors';
import { regionPixels, type PageRegion } from '../../layout/paint';
import type { PageLayout } from '../../layout/types';

export const WEBTOON_SLICE_PIXELS = 16_000_000;

/** Vertical spans [top, bottom] that something is drawn in: frames (with their stroke) and lettering. */
function occupied(page: PageLayout): [number, number][] {
  const spans: [number, number][] = [];
  const pad = 2; // the frame stroke's width, half of which lies outside the frame
  for (const cell of page.cells) {
    spans.push([cell.frame.y - pad, cell.frame.y + cell.frame.h + pad]);
    for (const b of cell.balloons) {
      spans.push([b.box.y - pad, b.box.y + b.box.h + pad]);
      if (b.tailTip) spans.push([b.tailTip.y - pad, b.tailTip.y + pad]);
    }
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

/** The empty bands of the page (gutters, the margins at either end), top to bottom. */
export function gutters(page: PageLayout): [number, number][] {
  const free: [number, number][] = [];
  let at = 0;
  for (const [top, bottom] of occupied(page)) {
    if (top > at) free.push([at, Math.min(top, page.height)]);
    at = Math.max(at, bottom);
  }
  if (at < page.height) free.push([at, page.height]);
  return free.filter(([a, b]) => b > a);
}

/**
 * Bands of `page` (page units) that together cover it exactly once, top to bottom, each of which
 * renders at `dpi` to fewer than `maxPixels` pixels (width × height after rounding). Cuts go in the
 * middle of a gutter when one is in reach, else as low as the budget allows.
 */
export function webtoonSlices(page: PageLayout, dpi: number, maxPixels = WEBTOON_SLICE_PIXELS): PageRegion[] {
  if (!(dpi > 0) || !Number.isFinite(dpi))
    throw new StoryLoomError('invalid-input', `A resolution must be positive, got ${dpi} dpi.`);
  if (!(page.width > 0) || !(page.height > 0))
    throw new StoryLoomError(
      'invalid-input',
      `The strip must have a positive size, got ${page.width} × ${page.height} units.`,
    );
  const scale = dpi / 96;
  const widthPx = Math.round(page.width * scale);
  // Strictly under the budget; one pixel of slack for the rounding of both edges.
  const maxRows = Math.ceil(maxPixels / widthPx) - 1 - 1;
  if (maxRows < 2)
    throw new StoryLoomError(
      'invalid-input',
      `At ${dpi} dpi the strip is ${widthPx} pixels wide, too wide for slices under ${maxPixels / 1e6} megapixels: choose a lower resolution.`,
    );
  const maxH = maxRows / scale;
  const minH = 1 / scale; // never a slice thinner than a pixel
  const free = gutters(page);
  const slices: PageRegion[] = [];
  let y = 0;
  while (page.height - y > 1e-9) {
    const limit = y + maxH;
    if (page.height <= limit) {
      slices.push({ y, h: page.height - y });
      break;
    }
    let cut = limit;
    for (let i = free.length - 1; i >= 0; i--) {
      const [a, b] = free[i]!;
      if (a > limit) continue;
      const c = Math.min((a + b) / 2, limit);
      if (c - y >= minH) {
        cut = c;
        break;
      }
    }
    slices.push({ y, h: cut - y });
    y = cut;
  }
  return slices;
}

/** Pixel size of each slice at `dpi` (what the encoder will be asked for). */
export function slicePixels(
  page: PageLayout,
  slices: PageRegion[],
  dpi: number,
): { width: number; height: number }[] {
  const scale = dpi / 96;
  const width = Math.round(page.width * scale);
  return slices.map((s) => ({ width, height: regionPixels(s, scale).height }));
}
