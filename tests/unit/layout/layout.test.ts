import { describe, expect, it } from 'vitest';
import { cellCount, containsRect, layoutStory, templateById } from '../../../src/lib/layout';
import { A4, fakeMeasure, panel, randomPanel, rng, sixPanelStory } from './helpers';

describe('layoutStory', () => {
  it('lays out an empty story as no pages', () => {
    expect(layoutStory({ ...sixPanelStory('ltr'), panels: [] }).pages).toEqual([]);
  });

  it('gives every cell a frame on its page, an order and a crop with the frame’s aspect', () => {
    const r = rng(5);
    const panels = Array.from({ length: 23 }, (_, i) => ({
      ...randomPanel(r, `p${i}`),
      importance: [1, 1, 2, 1, 3][i % 5]!,
    }));
    for (const direction of ['ltr', 'rtl'] as const) {
      const story = layoutStory({ direction, page: A4, pageTemplates: [], panels, measure: fakeMeasure });
      const page = { x: 0, y: 0, w: A4.width, h: A4.height };
      for (const p of story.pages) {
        expect(p.cells.length).toBe(cellCount(templateById(p.templateId)!.root));
        p.cells.forEach((c, i) => {
          expect(c.order).toBe(i);
          expect(containsRect(page, c.frame)).toBe(true);
          const pic = panels.find((x) => x.id === c.panelId)!;
          expect((c.crop.w * pic.imageAspect) / c.crop.h).toBeCloseTo(c.frame.w / c.frame.h, 6);
          for (const b of c.balloons) expect(containsRect(c.frame, b.box, 1e-6)).toBe(true);
        });
      }
      expect(story.pages.flatMap((p) => p.cells.map((c) => c.panelId))).toEqual(panels.map((p) => p.id));
    }
  });

  it('survives odd input: zero aspect, zero importance, a forced template larger than what is left', () => {
    const story = layoutStory({
      direction: 'ltr',
      page: A4,
      pageTemplates: [null, 'three-rows-of-two'],
      panels: [panel('a', { imageAspect: 0, importance: 0 }), panel('b'), panel('c'), panel('d'), panel('e')],
      measure: fakeMeasure,
    });
    expect(story.pages.flatMap((p) => p.cells.map((c) => c.panelId))).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const c of story.pages.flatMap((p) => p.cells)) {
      expect(Number.isFinite(c.crop.w)).toBe(true);
      expect(Number.isFinite(c.crop.x)).toBe(true);
    }
  });

  it('makes a webtoon one page of one column, as tall as its content', () => {
    const input = { ...sixPanelStory('webtoon'), page: { width: 700, height: 1, margin: 20, gutter: 30 } };
    const story = layoutStory(input);
    expect(story.pages).toHaveLength(1);
    const [page] = story.pages;
    expect(page!.templateId).toBe('webtoon');
    expect(page!.cells.map((c) => c.frame.x)).toEqual(page!.cells.map(() => 20));
    expect(page!.cells.map((c) => c.frame.w)).toEqual(page!.cells.map(() => 660));
    const last = page!.cells.at(-1)!.frame;
    expect(page!.height).toBeCloseTo(last.y + last.h + 20, 9);
  });
});
