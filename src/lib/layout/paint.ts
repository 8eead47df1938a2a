/**
 * The page painter: draws one laid-out page onto a 2D context — the same geometry the reader draws
 * as SVG. Pure: it takes the subset of the canvas API it uses and a path factory, so it runs on a
 * main-thread canvas, an OffscreenCanvas in a worker, and a recording fake in the tests alike.
 *
 * Paths are in page units and drawn under `setTransform(scale, …)`; text is drawn under the
 * identity transform at `fontSize × scale`, so glyphs are rasterised at their final pixel size.
 */
import { cssFont, letteringWeight } from './fonts';
import type { BalloonLayout, CellLayout, PageLayout } from './types';

/** Colours and widths shared by the PNG painter and the reader's SVG (page units). */
export const LETTERING_STYLE = {
  paper: '#ffffff',
  ink: '#000000',
  /** A cell whose panel has no picture yet. */
  emptyCell: '#e4e4e4',
  balloonFill: '#ffffff',
  /** Visible outline of balloons and tails. Drawn as a stroke of twice this width *under* the
   * fills (SVG: stroke first, then fill, or `paint-order: stroke`), so body and tail join seamlessly. */
  balloonStroke: 2,
  frameStroke: 2,
  /** Dash and gap of a whisper's outline. */
  whisperDash: [6, 4] as readonly number[],
  /** The white outline of a sound effect's letters, as a fraction of its font size. */
  sfxOutline: 0.18,
  lineJoin: 'round',
} as const;

/** The part of CanvasRenderingContext2D / OffscreenCanvasRenderingContext2D the painter uses. */
export interface PaintContext<P, I> {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineJoin: string;
  font: string;
  textAlign: string;
  textBaseline: string;
  save(): void;
  restore(): void;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  setLineDash(segments: number[]): void;
  beginPath(): void;
  rect(x: number, y: number, w: number, h: number): void;
  clip(): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  fill(path: P): void;
  stroke(path: P): void;
  drawImage(
    image: I,
    sx: number,
    sy: number,
    sw: number,
    sh: number,
    dx: number,
    dy: number,
    dw: number,
    dh: number,
  ): void;
  fillText(text: string, x: number, y: number): void;
  strokeText(text: string, x: number, y: number): void;
}

/** A decoded picture and its pixel size. */
export interface PaintPicture<I> {
  image: I;
  width: number;
  height: number;
}

export type MakePath<P> = (d: string) => P;

/** A horizontal band of a page, page units from the top (a webtoon slice). */
export interface PageRegion {
  y: number;
  h: number;
}

export interface PaintOptions {
  /** Draw balloons, captions and sound effects (default true); false = the picture layer alone. */
  lettering?: boolean;
  /** Paint only this band of the page: the canvas is the band's height, its top is the band's top. */
  region?: PageRegion;
}

/** The band's top and height in device pixels; consecutive bands share their edges exactly. */
export function regionPixels(region: PageRegion, scale: number): { top: number; height: number } {
  const top = Math.round(region.y * scale);
  return { top, height: Math.round((region.y + region.h) * scale) - top };
}

/** Paint `page` at `scale` device pixels per page unit (dpi / 96). Pictures are keyed by panel id. */
export function paintPage<P, I>(
  ctx: PaintContext<P, I>,
  page: PageLayout,
  pictures: ReadonlyMap<string, PaintPicture<I> | null>,
  scale: number,
  makePath: MakePath<P>,
  options: PaintOptions = {},
): void {
  const lettering = options.lettering ?? true;
  // A region shifts everything up by its top, in whole device pixels, so slices butt without seams.
  const dy = options.region ? -regionPixels(options.region, scale).top : 0;
  const toPage = () => ctx.setTransform(scale, 0, 0, scale, 0, dy);
  toPage();
  ctx.fillStyle = LETTERING_STYLE.paper;
  ctx.fillRect(0, 0, page.width, page.height);
  for (const cell of page.cells) {
    toPage();
    paintCell(ctx, cell, pictures.get(cell.panelId) ?? null);
    if (!lettering) continue;
    for (const balloon of cell.balloons) paintBalloon(ctx, balloon, scale, dy, makePath, toPage);
  }
}

function paintCell<P, I>(ctx: PaintContext<P, I>, cell: CellLayout, picture: PaintPicture<I> | null): void {
  const { x, y, w, h } = cell.frame;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, w, h);
  ctx.clip();
  if (picture) {
    const { crop } = cell;
    ctx.drawImage(
      picture.image,
      crop.x * picture.width,
      crop.y * picture.height,
      crop.w * picture.width,
      crop.h * picture.height,
      x,
      y,
      w,
      h,
    );
  } else {
    ctx.fillStyle = LETTERING_STYLE.emptyCell;
    ctx.fillRect(x, y, w, h);
  }
  ctx.restore();
  // The border is drawn unclipped, so its full width shows (half of it would be clipped away).
  ctx.setLineDash([]);
  ctx.strokeStyle = LETTERING_STYLE.ink;
  ctx.lineWidth = LETTERING_STYLE.frameStroke;
  ctx.lineJoin = 'miter';
  ctx.strokeRect(x, y, w, h);
}

function paintBalloon<P, I>(
  ctx: PaintContext<P, I>,
  balloon: BalloonLayout,
  scale: number,
  dy: number,
  makePath: MakePath<P>,
  toPage: () => void,
): void {
  if (balloon.kind !== 'sfx') {
    toPage();
    const shapes = [balloon.bodyPath, balloon.tailPath].filter((d) => d.trim() !== '').map(makePath);
    ctx.setLineDash(balloon.kind === 'whisper' ? [...LETTERING_STYLE.whisperDash] : []);
    ctx.strokeStyle = LETTERING_STYLE.ink;
    ctx.lineWidth = LETTERING_STYLE.balloonStroke * 2;
    ctx.lineJoin = LETTERING_STYLE.lineJoin;
    for (const shape of shapes) ctx.stroke(shape);
    ctx.fillStyle = LETTERING_STYLE.balloonFill;
    for (const shape of shapes) ctx.fill(shape);
    ctx.setLineDash([]);
  }
  paintLines(ctx, balloon, scale, dy);
}

function paintLines<P, I>(ctx: PaintContext<P, I>, balloon: BalloonLayout, scale: number, dy: number): void {
  if (balloon.lines.length === 0) return;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.font = cssFont(balloon.font, balloon.fontSize * scale, letteringWeight(balloon.kind, balloon.font));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  if (balloon.kind === 'sfx') {
    ctx.strokeStyle = LETTERING_STYLE.paper;
    ctx.lineWidth = Math.max(2, balloon.fontSize * LETTERING_STYLE.sfxOutline) * scale;
    ctx.lineJoin = LETTERING_STYLE.lineJoin;
    for (const line of balloon.lines) ctx.strokeText(line.text, line.x * scale, line.y * scale + dy);
  }
  ctx.fillStyle = LETTERING_STYLE.ink;
  for (const line of balloon.lines) ctx.fillText(line.text, line.x * scale, line.y * scale + dy);
}

/** Largest page a render may produce, in pixels (about 40 megapixels: A4 at 600 dpi is 34.8). */
export const MAX_RENDER_PIXELS = 40_000_000;
export const MIN_RENDER_DPI = 72;
export const MAX_RENDER_DPI = 600;

/**
 * The pixel size of `page` (or of its band `region`) at `dpi`, or a sentence saying why it cannot be
 * rendered. The pixel limit applies to what is drawn: a band of a long webtoon strip may be rendered
 * when the whole strip could not. (Pure, so the façade, the worker and the tests agree on the limits.)
 */
export function renderSize(
  page: Pick<PageLayout, 'width' | 'height'>,
  dpi: number,
  region?: PageRegion,
): { ok: true; width: number; height: number; scale: number } | { ok: false; message: string } {
  if (!Number.isFinite(dpi) || dpi < MIN_RENDER_DPI || dpi > MAX_RENDER_DPI)
    return {
      ok: false,
      message: `The resolution must be between ${MIN_RENDER_DPI} and ${MAX_RENDER_DPI} dpi, got ${dpi}.`,
    };
  if (!(page.width > 0) || !(page.height > 0) || !Number.isFinite(page.width * page.height))
    return {
      ok: false,
      message: `The page must have a positive size, got ${page.width} × ${page.height} units.`,
    };
  if (
    region &&
    !(
      Number.isFinite(region.y) &&
      Number.isFinite(region.h) &&
      region.y >= 0 &&
      region.h > 0 &&
      region.y + region.h <= page.height + 1e-6
    )
  )
    return {
      ok: false,
      message: `A region must lie within the page (0…${page.height} units), got y ${region.y} and height ${region.h}.`,
    };
  const scale = dpi / 96;
  const width = Math.round(page.width * scale);
  const height = region ? regionPixels(region, scale).height : Math.round(page.height * scale);
  if (height < 1)
    return { ok: false, message: `At ${dpi} dpi this region would be less than one pixel high.` };
  const what = region ? 'region' : 'page';
  if (width * height > MAX_RENDER_PIXELS)
    return {
      ok: false,
      message:
        `At ${dpi} dpi this ${what} would be ${width} × ${height} pixels ` +
        `(${((width * height) / 1e6).toFixed(1)} megapixels); at most ${MAX_RENDER_PIXELS / 1e6} megapixels ` +
        `can be rendered: choose a lower resolution or a ${region ? 'smaller region' : 'shorter page'}.`,
    };
  return { ok: true, width, height, scale };
}
