import { describe, expect, it } from 'vitest';
import {
  cellCount,
  cellRects,
  contentBox,
  overlapArea,
  PAGE_TEMPLATES,
  templateById,
  templatesWithCells,
  webtoonRects,
  union,
  type Rect,
  type SplitNode,
} from '../../../src/lib/layout';
import { A4 } from './helpers';

const area = (r: Rect) => r.w * r.h;

describe('page templates', () => {
  it('offer several templates for every count from 1 to 6', () => {
    expect(templatesWithCells(1).length).toBeGreaterThanOrEqual(1);
    for (let n = 2; n <= 6; n++) expect(templatesWithCells(n).length).toBeGreaterThanOrEqual(2);
    expect(new Set(PAGE_TEMPLATES.map((t) => t.id)).size).toBe(PAGE_TEMPLATES.length);
    expect(templateById('grid-4')?.label).toBe('Four grid');
    expect(templateById('nope')).toBeUndefined();
  });

  for (const t of PAGE_TEMPLATES) {
    it(`${t.id}: cells tile the content box with gutters between them`, () => {
      const cells = cellRects(t, A4, 'ltr');
      const box = contentBox(A4);
      expect(cells).toHaveLength(cellCount(t.root));
      for (const c of cells) {
        expect(c.x).toBeGreaterThanOrEqual(box.x - 1e-9);
        expect(c.y).toBeGreaterThanOrEqual(box.y - 1e-9);
        expect(c.x + c.w).toBeLessThanOrEqual(box.x + box.w + 1e-9);
        expect(c.y + c.h).toBeLessThanOrEqual(box.y + box.h + 1e-9);
      }
      for (let i = 0; i < cells.length; i++)
        for (let j = i + 1; j < cells.length; j++) {
          expect(overlapArea(cells[i]!, cells[j]!)).toBe(0);
          // Neighbours keep at least one gutter apart on one axis.
          const a = cells[i]!;
          const b = cells[j]!;
          const gapX = Math.max(b.x - (a.x + a.w), a.x - (b.x + b.w));
          const gapY = Math.max(b.y - (a.y + a.h), a.y - (b.y + b.h));
          expect(Math.max(gapX, gapY)).toBeGreaterThanOrEqual(A4.gutter - 1e-6);
        }
      // The cells' areas are what the tree leaves once the gutters are taken off each split.
      const covered = cells.reduce((s, c) => s + area(c), 0);
      expect(covered).toBeLessThanOrEqual(area(box));
      expect(covered).toBeCloseTo(treeArea(t.root, box.w, box.h), 6);
      // The cells reach the margins on every side.
      const u = union(cells)!;
      for (const k of ['x', 'y', 'w', 'h'] as const) expect(u[k]).toBeCloseTo(box[k], 9);
    });
  }

  it('numbers cells in reading order: rows top to bottom, left to right within a row', () => {
    const cells = cellRects(templateById('two-one-two')!, A4, 'ltr');
    expect(cells[0]!.x).toBeLessThan(cells[1]!.x);
    expect(cells[0]!.y).toBe(cells[1]!.y);
    expect(cells[2]!.y).toBeGreaterThan(cells[1]!.y);
    expect(cells[3]!.x).toBeLessThan(cells[4]!.x);
    expect(cells[3]!.y).toBeGreaterThan(cells[2]!.y);
  });

  it('rtl mirrors x and keeps the numbering, so cell 0 is top-right', () => {
    for (const t of PAGE_TEMPLATES) {
      const ltr = cellRects(t, A4, 'ltr');
      const rtl = cellRects(t, A4, 'rtl');
      rtl.forEach((r, i) => {
        expect(r.x).toBeCloseTo(A4.width - ltr[i]!.x - ltr[i]!.w, 9);
        expect(r.y).toBe(ltr[i]!.y);
        expect(r.w).toBe(ltr[i]!.w);
      });
    }
    const grid = cellRects(templateById('grid-4')!, A4, 'rtl');
    expect(grid[0]!.x).toBeGreaterThan(grid[1]!.x);
    expect(grid[0]!.y).toBe(grid[1]!.y);
    expect(grid[0]!.x + grid[0]!.w).toBeCloseTo(A4.width - A4.margin, 9);
  });

  it('webtoon is one column of full-width cells with clamped aspects', () => {
    const page = { width: 800, height: 0, margin: 10, gutter: 20 };
    const { frames, height } = webtoonRects([1, 0.1, 10, 2], page);
    for (const f of frames) {
      expect(f.x).toBe(10);
      expect(f.w).toBe(780);
    }
    expect(frames.map((f) => f.h)).toEqual([780, 780 / 0.4, 780 / 3, 390]);
    for (let i = 1; i < frames.length; i++)
      expect(frames[i]!.y).toBeCloseTo(frames[i - 1]!.y + frames[i - 1]!.h + 20, 9);
    expect(height).toBeCloseTo(frames.at(-1)!.y + frames.at(-1)!.h + 10, 9);
  });
});

/** Leaf areas of a split tree in a w × h box with gutters, computed independently of cellRects. */
function treeArea(node: SplitNode, w: number, h: number): number {
  if ('leaf' in node) return w * h;
  const total = node.ratios.reduce((a, b) => a + b, 0);
  const free = (node.dir === 'cols' ? w : h) - A4.gutter * (node.children.length - 1);
  return node.children.reduce((s, c, i) => {
    const share = (free * node.ratios[i]!) / total;
    return s + (node.dir === 'cols' ? treeArea(c, share, h) : treeArea(c, w, share));
  }, 0);
}
