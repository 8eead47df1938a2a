import { describe, expect, it } from 'vitest';
import {
  chooseTemplate,
  layoutStory,
  paginate,
  templateCost,
  templatesWithCells,
  type PanelWeight,
} from '../../../src/lib/layout';
import { A4, fakeMeasure, panel } from './helpers';

const ones = (n: number, aspect = 1): PanelWeight[] =>
  Array.from({ length: n }, () => ({ importance: 1, imageAspect: aspect }));
const counts = (panels: PanelWeight[], forced: (string | null)[] = []) =>
  paginate(panels, forced).map((p) => p.count);

describe('pagination', () => {
  it('balances pages: 6 ordinary panels → 3 + 3, 7 → 4 + 3', () => {
    expect(counts(ones(6))).toEqual([3, 3]);
    expect(counts(ones(7))).toEqual([4, 3]);
    expect(counts(ones(4))).toEqual([4]);
    expect(counts(ones(9))).toEqual([3, 3, 3]);
  });

  it('gives a splash (importance ≥ 3) a page of its own', () => {
    const panels = [...ones(2), { importance: 3, imageAspect: 1 }, ...ones(3)];
    expect(counts(panels)).toEqual([2, 1, 3]);
  });

  it('counts importance as weight (a big panel takes two places)', () => {
    const panels = [{ importance: 2, imageAspect: 1 }, ...ones(3)];
    // Weights 2+1 | 1+1 balance better than 2+1+1 | 1.
    expect(counts(panels)).toEqual([2, 2]);
    expect(counts([{ importance: 2, imageAspect: 1 }, ...ones(2)])).toEqual([3]);
    expect(paginate(panels, []).every((p) => p.count <= 6)).toBe(true);
  });

  it('respects a forced template (its cell count) and ignores unknown ids', () => {
    const plans = paginate(ones(7), ['two-rows', 'no-such-template']);
    expect(plans.map((p) => p.count)).toEqual([2, 3, 2]);
    expect(plans[0]!.forced?.id).toBe('two-rows');
    expect(plans[1]!.forced).toBeNull();
  });

  it('keeps story order: pages are consecutive runs', () => {
    const plans = paginate([...ones(5), { importance: 3, imageAspect: 1 }, ...ones(4)], ['grid-4']);
    let next = 0;
    for (const p of plans) {
      expect(p.start).toBe(next);
      next += p.count;
    }
    expect(next).toBe(10);
    const story = layoutStory({
      direction: 'ltr',
      page: A4,
      pageTemplates: ['grid-4'],
      panels: Array.from({ length: 10 }, (_, i) => panel(`p${i}`, { importance: i === 5 ? 3 : 1 })),
      measure: fakeMeasure,
    });
    expect(story.pages.flatMap((pg) => pg.cells.map((c) => c.panelId))).toEqual(
      Array.from({ length: 10 }, (_, i) => `p${i}`),
    );
    expect(story.pages[0]!.templateId).toBe('grid-4');
  });
});

describe('template choice', () => {
  it('picks the cheapest template for the panels in order, deterministically', () => {
    // Two wide pictures fit two rows; two tall pictures fit two columns.
    expect(chooseTemplate(ones(2, 2.2), A4).id).toBe('two-rows');
    expect(chooseTemplate(ones(2, 0.4), A4).id).toBe('two-cols');
    // A wide first panel then two squares: wide top, two below.
    const mixed = [
      { importance: 1, imageAspect: 2 },
      { importance: 1, imageAspect: 0.9 },
      { importance: 1, imageAspect: 0.9 },
    ];
    const chosen = chooseTemplate(mixed, A4);
    for (const t of templatesWithCells(3))
      expect(templateCost(chosen, mixed, A4)).toBeLessThanOrEqual(templateCost(t, mixed, A4));
    expect(chosen.id).toBe('wide-top-two');
  });

  it('breaks ties toward the first template in the list', () => {
    const t = templatesWithCells(1);
    expect(chooseTemplate(ones(1), A4).id).toBe(t[0]!.id);
  });
});
