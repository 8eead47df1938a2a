/**
 * The reader's geometry contract: what the pure layout core takes and what it gives back.
 *
 * Units: page geometry is in "page units", 1 unit = 1/96 inch (a CSS pixel), so an A4 page is
 * 793.7 × 1122.5 units and rendering at D dpi scales by D / 96. Boxes inside a picture or a cell are
 * normalised to 0…1 of that picture or cell (`Rect01`), the same convention as the panels' region
 * boxes. Every outline is an SVG path string in page units: the reader draws it as SVG and the PNG
 * renderer as `new Path2D(d)`, so both draw the same geometry.
 */

export interface Point {
  x: number;
  y: number;
}

/** A rectangle in page units. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A rectangle normalised to 0…1 of its container (picture or cell). */
export type Rect01 = Rect;

/** Shared with the stored records (domain/schema.ts); the fonts' stacks are in layout/fonts.ts. */
export { BALLOON_KINDS, LETTERING_FONTS } from '../domain/schema';
export type { BalloonKind, LetteringFont, ReadingDirection } from '../domain/schema';
import type { BalloonKind, LetteringFont, ReadingDirection } from '../domain/schema';

/**
 * A page template: a split tree. A leaf is one cell; a split divides its box into rows
 * (`dir: 'rows'`, stacked top to bottom) or columns (`dir: 'cols'`, left to right) by `ratios`
 * (positive, any scale). Cells are numbered in left-to-right reading order (rows top to bottom,
 * within a row left to right); right-to-left mirrors the geometry, not the tree.
 */
export type SplitNode = { leaf: true } | { dir: 'rows' | 'cols'; ratios: number[]; children: SplitNode[] };

export interface PageTemplate {
  id: string;
  /** A short name for the template picker, e.g. "Three rows". */
  label: string;
  root: SplitNode;
}

export interface PageSpec {
  /** Page size in units; for webtoon, `height` is ignored (the strip grows). */
  width: number;
  height: number;
  margin: number;
  gutter: number;
}

/** Measures a single line of text: its advance width in units at `fontSize`. */
export type TextMeasurer = (text: string, font: LetteringFont, fontSize: number) => number;

/** One lettering item of a panel: a dialogue line or the caption, with the artist's overrides. */
export interface LayoutText {
  /** Stable id of the balloon (the referenced dialogue line's id, or `caption`). */
  balloonId: string;
  kind: BalloonKind;
  text: string;
  /** The speaking character for speech, thought, shout, whisper; null for captions, sfx, off-panel voices. */
  speakerId: string | null;
  font: LetteringFont;
  /** Pinned balloons keep `box` and `tail`; unpinned ones are placed by the layout every time. */
  pinned: boolean;
  /** Cell-normalised box of a pinned (or artist-resized) balloon; null = place automatically. */
  box: Rect01 | null;
  /** Cell-normalised tail tip chosen by the artist; null = aim at the speaker's head zone. */
  tail: Point | null;
  /** Artist-chosen font size in units; null = fit. */
  fontSize: number | null;
}

export interface LayoutCastMember {
  characterId: string;
  /** Where the character stands, normalised to the picture. */
  region: Rect01;
  /** Where the character's head is, normalised to the picture (from the region box and the judge's detections). */
  headZones: Rect01[];
}

export interface LayoutPanel {
  id: string;
  /** width / height of the panel's picture (1 when there is none yet). */
  imageAspect: number;
  /** 1 = ordinary; larger panels get larger cells (2 = big, 3 = splash). */
  importance: number;
  cast: LayoutCastMember[];
  texts: LayoutText[];
}

export interface LayoutInput {
  direction: ReadingDirection;
  page: PageSpec;
  /** Per page (by index), an artist-chosen template id; missing or null = choose automatically. */
  pageTemplates: (string | null)[];
  panels: LayoutPanel[];
  measure: TextMeasurer;
}

export interface LetteredLine {
  text: string;
  /** Baseline start of the line's centre (text-anchor middle, alphabetic baseline), page units. */
  x: number;
  y: number;
}

export interface BalloonLayout {
  balloonId: string;
  kind: BalloonKind;
  speakerId: string | null;
  pinned: boolean;
  /** The balloon's bounding box in page units (the body, without the tail). */
  box: Rect;
  /** The body outline (ellipse, cloud, burst, rounded box…) as an SVG path in page units. */
  bodyPath: string;
  /** The tail as a closed SVG path in page units; empty when the balloon has none. */
  tailPath: string;
  /** Where the tail ends, page units; null when there is no tail. */
  tailTip: Point | null;
  font: LetteringFont;
  fontSize: number;
  lineHeight: number;
  lines: LetteredLine[];
  /** True when even the minimum font size could not fit the text into the shape. */
  overflow: boolean;
}

export interface CellLayout {
  panelId: string;
  /** Position in reading order within the page (0 = read first). */
  order: number;
  /** The cell's frame on the page, page units. */
  frame: Rect;
  /** The part of the picture shown in the frame, normalised to the picture (aspect matches the frame). */
  crop: Rect01;
  /** The cast's regions and head zones mapped onto the page (page units), for hit tests and checks. */
  cast: { characterId: string; region: Rect; headZones: Rect[] }[];
  balloons: BalloonLayout[];
}

export interface PageLayout {
  index: number;
  templateId: string;
  width: number;
  height: number;
  cells: CellLayout[];
}

export interface StoryLayout {
  direction: ReadingDirection;
  pages: PageLayout[];
}
