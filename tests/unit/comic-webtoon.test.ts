import { describe, expect, it } from 'vitest';
import { gutters, slicePixels, webtoonSlices } from '../../src/lib/bundle/comic/webtoon';
import { regionPixels, renderSize } from '../../src/lib/layout/paint';
import type { CellLayout, PageLayout } from '../../src/lib/layout/types';

const cell = (i: number, y: number, h: number): CellLayout => ({
  panelId: `p${i}`,
  order: i,
  frame: { x: 20, y, w: 760, h },
  crop: { x: 0, y: 0, w: 1, h: 1 },
  cast: [],
  balloons: [],
});

/** A strip of `heights` panels, 80 units apart, 40 units of margin at either end. */
function strip(heights: number[]): PageLayout {
  const cells: CellLayout[] = [];
  let y = 40;
  heights.forEach((h, i) => {
    cells.push(cell(i, y, h));
    y += h + 80;
  });
  return { index: 0, templateId: 'webtoon', width: 800, height: y - 80 + 40, cells };
}

function expectExactCover(page: PageLayout, slices: { y: number; h: number }[]) {
  expect(slices[0]!.y).toBe(0);
  for (let i = 1; i < slices.length; i++)
    expect(slices[i]!.y).toBeCloseTo(slices[i - 1]!.y + slices[i - 1]!.h, 9);
  const last = slices.at(-1)!;
  expect(last.y + last.h).toBeCloseTo(page.height, 9);
  for (const s of slices) expect(s.h).toBeGreaterThan(0);
}

describe('webtoonSlices', () => {
  it('covers the strip exactly once and stays under the pixel budget', () => {
    const page = strip(Array.from({ length: 30 }, (_, i) => 600 + ((i * 137) % 500)));
    for (const dpi of [96, 150, 300]) {
      const slices = webtoonSlices(page, dpi);
      expectExactCover(page, slices);
      for (const { width, height } of slicePixels(page, slices, dpi))
        expect(width * height).toBeLessThan(16_000_000);
      // And the renderer agrees each slice can be drawn.
      for (const s of slices) expect(renderSize(page, Math.min(dpi, 600), s).ok).toBe(true);
      // Pixel rows of consecutive slices butt exactly.
      const scale = dpi / 96;
      const rows = slices.reduce((n, s) => n + regionPixels(s, scale).height, 0);
      expect(rows).toBe(Math.round(page.height * scale));
    }
  });

  it('cuts in the gutters between panels, never through a panel that fits', () => {
    const page = strip(Array.from({ length: 20 }, () => 900));
    const slices = webtoonSlices(page, 300);
    expect(slices.length).toBeGreaterThan(1);
    const free = gutters(page);
    for (const s of slices.slice(1)) expect(free.some(([a, b]) => s.y >= a && s.y <= b)).toBe(true);
    // Middle of the gutter.
    const cut = slices[1]!.y;
    const g = free.find(([a, b]) => cut >= a && cut <= b)!;
    expect(cut).toBeCloseTo((g[0] + g[1]) / 2, 6);
  });

  it('cuts through a panel only when it alone is taller than a slice may be', () => {
    const page = strip([600, 9000, 600]);
    const dpi = 300;
    const slices = webtoonSlices(page, dpi);
    expectExactCover(page, slices);
    for (const { width, height } of slicePixels(page, slices, dpi))
      expect(width * height).toBeLessThan(16_000_000);
    const tall = page.cells[1]!.frame;
    expect(slices.some((s) => s.y > tall.y && s.y < tall.y + tall.h)).toBe(true);
  });

  it('respects a smaller budget and a lettering box that reaches into the gutter', () => {
    const page = strip([500, 500, 500]);
    const withBalloon: PageLayout = structuredClone(page);
    const g = gutters(page)[1]!; // between panel 0 and 1
    withBalloon.cells[0]!.balloons.push({
      balloonId: 'b',
      kind: 'speech',
      speakerId: null,
      pinned: false,
      box: { x: 100, y: g[0] - 20, w: 100, h: (g[1] - g[0]) / 2 + 20 + 5 },
      bodyPath: 'M0 0Z',
      tailPath: '',
      tailTip: null,
      font: 'dialogue',
      fontSize: 14,
      lineHeight: 16,
      lines: [],
      overflow: false,
    });
    const free = gutters(withBalloon);
    const narrowed = free.find(([a]) => a > g[0] && a < g[1])!;
    expect(narrowed[0]).toBeGreaterThan((g[0] + g[1]) / 2);
    const slices = webtoonSlices(withBalloon, 96, 800 * 700);
    expectExactCover(withBalloon, slices);
    for (const { width, height } of slicePixels(withBalloon, slices, 96))
      expect(width * height).toBeLessThan(800 * 700);
    expect(slices[1]!.y).toBeGreaterThan(narrowed[0]);
  });

  it('a short strip is one slice; a strip too wide for the budget is refused with a sentence', () => {
    const page = strip([300]);
    expect(webtoonSlices(page, 96)).toEqual([{ y: 0, h: page.height }]);
    expect(() => webtoonSlices(page, 300, 1000)).toThrow(/too wide .* lower resolution/);
  });
});
