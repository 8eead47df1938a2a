/**
 * The page template library (split trees) and the geometry of a template's cells on a page.
 * Cells are numbered by a depth-first walk of the tree, which for these trees is the left-to-right
 * reading order; right-to-left mirrors the geometry and keeps the numbering.
 */
import type { PageSpec, PageTemplate, ReadingDirection, Rect, SplitNode } from './types';

const L: SplitNode = { leaf: true };
const rows = (ratios: number[], ...children: SplitNode[]): SplitNode => ({ dir: 'rows', ratios, children });
const cols = (ratios: number[], ...children: SplitNode[]): SplitNode => ({ dir: 'cols', ratios, children });
const even = (n: number): number[] => Array.from({ length: n }, () => 1);
const rowOf = (n: number): SplitNode => cols(even(n), ...Array.from({ length: n }, () => L));

/** Ordered by cell count; within a count the first is the default when costs tie. */
export const PAGE_TEMPLATES: readonly PageTemplate[] = [
  { id: 'splash', label: 'Splash', root: L },
  { id: 'two-rows', label: 'Two rows', root: rows([1, 1], L, L) },
  { id: 'two-cols', label: 'Two columns', root: rowOf(2) },
  { id: 'big-top-small-bottom', label: 'Big top, strip below', root: rows([2, 1], L, L) },
  { id: 'three-rows', label: 'Three rows', root: rows(even(3), L, L, L) },
  { id: 'wide-top-two', label: 'Wide top, two below', root: rows([1, 1], L, rowOf(2)) },
  { id: 'two-wide-bottom', label: 'Two above, wide bottom', root: rows([1, 1], rowOf(2), L) },
  { id: 'tall-left-two', label: 'Tall left, two stacked', root: cols([1, 1], L, rows([1, 1], L, L)) },
  { id: 'three-cols', label: 'Three columns', root: rowOf(3) },
  { id: 'grid-4', label: 'Four grid', root: rows([1, 1], rowOf(2), rowOf(2)) },
  { id: 'wide-top-three', label: 'Wide top, three below', root: rows([3, 2], L, rowOf(3)) },
  { id: 'three-wide-bottom', label: 'Three above, wide bottom', root: rows([2, 3], rowOf(3), L) },
  { id: 'four-rows', label: 'Four rows', root: rows(even(4), L, L, L, L) },
  { id: 'two-one-two', label: 'Two, wide, two', root: rows(even(3), rowOf(2), L, rowOf(2)) },
  { id: 'wide-top-grid-4', label: 'Wide top, four grid', root: rows(even(3), L, rowOf(2), rowOf(2)) },
  { id: 'three-two', label: 'Three over two', root: rows([1, 1], rowOf(3), rowOf(2)) },
  { id: 'two-three', label: 'Two over three', root: rows([1, 1], rowOf(2), rowOf(3)) },
  { id: 'three-rows-of-two', label: 'Three rows of two', root: rows(even(3), rowOf(2), rowOf(2), rowOf(2)) },
  { id: 'two-rows-of-three', label: 'Two rows of three', root: rows([1, 1], rowOf(3), rowOf(3)) },
  { id: 'wide-two-three', label: 'Wide, two, three', root: rows(even(3), L, rowOf(2), rowOf(3)) },
];

export const MAX_CELLS_PER_PAGE = 6;

const byId = new Map(PAGE_TEMPLATES.map((t) => [t.id, t]));

export function templateById(id: string): PageTemplate | undefined {
  return byId.get(id);
}

export function cellCount(node: SplitNode): number {
  return 'leaf' in node ? 1 : node.children.reduce((n, c) => n + cellCount(c), 0);
}

export function templatesWithCells(n: number): PageTemplate[] {
  return PAGE_TEMPLATES.filter((t) => cellCount(t.root) === n);
}

/** The content box: the page inside its margins. */
export function contentBox(page: PageSpec): Rect {
  return {
    x: page.margin,
    y: page.margin,
    w: page.width - 2 * page.margin,
    h: page.height - 2 * page.margin,
  };
}

/**
 * The cells' frames in reading order. Gutters come off the split first and the ratios share what
 * is left, so every gutter is exactly `page.gutter` wide whatever the ratios.
 */
export function cellRects(template: PageTemplate, page: PageSpec, direction: ReadingDirection): Rect[] {
  const out: Rect[] = [];
  splitInto(template.root, contentBox(page), page.gutter, out);
  if (direction !== 'rtl') return out;
  return out.map((r) => ({ ...r, x: page.width - r.x - r.w }));
}

function splitInto(node: SplitNode, box: Rect, gutter: number, out: Rect[]): void {
  if ('leaf' in node) {
    out.push(box);
    return;
  }
  const n = node.children.length;
  const horizontal = node.dir === 'cols';
  const span = (horizontal ? box.w : box.h) - gutter * (n - 1);
  const total = node.ratios.reduce((s, r) => s + r, 0);
  let at = horizontal ? box.x : box.y;
  node.children.forEach((child, i) => {
    const size = (span * (node.ratios[i] ?? 0)) / total;
    const sub = horizontal ? { x: at, y: box.y, w: size, h: box.h } : { x: box.x, y: at, w: box.w, h: size };
    splitInto(child, sub, gutter, out);
    at += size + gutter;
  });
}

/** Webtoon aspect clamp: extreme pictures would make unreadable slivers or endless scrolls. */
export const WEBTOON_ASPECT_MIN = 0.4;
export const WEBTOON_ASPECT_MAX = 3;

/** One column of full-width cells, one per panel; returns the frames and the strip's height. */
export function webtoonRects(aspects: number[], page: PageSpec): { frames: Rect[]; height: number } {
  const w = page.width - 2 * page.margin;
  let y = page.margin;
  const frames = aspects.map((a, i) => {
    const aspect = Math.min(WEBTOON_ASPECT_MAX, Math.max(WEBTOON_ASPECT_MIN, a > 0 ? a : 1));
    const frame = { x: page.margin, y: y + (i > 0 ? page.gutter : 0), w, h: w / aspect };
    y = frame.y + frame.h;
    return frame;
  });
  return { frames, height: y + page.margin };
}
