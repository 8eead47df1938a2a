/**
 * Pagination (how many panels on each page, story order kept) and the choice of a template for a
 * page's panels.
 */
import { cellCount, cellRects, MAX_CELLS_PER_PAGE, templateById, templatesWithCells } from './templates';
import type { PageSpec, PageTemplate } from './types';

export const PAGE_WEIGHT = 4;
export const SPLASH_IMPORTANCE = 3;

export interface PanelWeight {
  importance: number;
  imageAspect: number;
}

/** Weight of a panel on a page; tiny or missing importance still takes some room. */
const weightOf = (p: PanelWeight): number => Math.max(0.25, p.importance || 1);
const isSplash = (p: PanelWeight): boolean => p.importance >= SPLASH_IMPORTANCE;

export interface PagePlan {
  /** Index of the page's first panel in the story. */
  start: number;
  count: number;
  /** The artist's template when one was forced and valid, else null (choose automatically). */
  forced: PageTemplate | null;
}

/**
 * Cut the story into pages. A forced template fixes its page's count; a splash is alone; every
 * other run is split into the fewest pages that respect the weight cap, balanced (least sum of
 * squared page weights, so 6 → 3 + 3, not 4 + 2). The balanced split is recomputed at every page
 * because a forced template further on shifts what follows.
 */
export function paginate(
  panels: PanelWeight[],
  pageTemplates: (string | null)[],
  maxWeight = PAGE_WEIGHT,
): PagePlan[] {
  const pages: PagePlan[] = [];
  let at = 0;
  while (at < panels.length) {
    const forcedId = pageTemplates[pages.length];
    const forced = forcedId ? (templateById(forcedId) ?? null) : null;
    const left = panels.length - at;
    let count: number;
    if (forced && cellCount(forced.root) <= left) count = cellCount(forced.root);
    else if (isSplash(panels[at]!)) count = 1;
    else count = balancedFirstPage(panels, at, maxWeight);
    const keep = forced && cellCount(forced.root) === count ? forced : null;
    pages.push({ start: at, count, forced: keep });
    at += count;
  }
  return pages;
}

/** The run of ordinary panels from `start` up to the next splash (or the end). */
function runEnd(panels: PanelWeight[], start: number): number {
  let end = start;
  while (end < panels.length && !isSplash(panels[end]!)) end++;
  return end;
}

/**
 * First page's size in the best split of the run at `start`: fewest pages, then the least sum of
 * squared page weights; ties keep the larger first page (7 → 4 + 3).
 */
function balancedFirstPage(panels: PanelWeight[], start: number, maxWeight: number): number {
  const end = runEnd(panels, start);
  const n = end - start;
  // best[i] = cost of splitting panels start+i … end-1; choice[i] = size of its first page.
  const best: { pages: number; squares: number }[] = new Array(n + 1);
  const choice: number[] = new Array(n + 1).fill(1);
  best[n] = { pages: 0, squares: 0 };
  for (let i = n - 1; i >= 0; i--) {
    let weight = 0;
    let bestHere: { pages: number; squares: number } | null = null;
    for (let k = 1; k <= MAX_CELLS_PER_PAGE && i + k <= n; k++) {
      weight += weightOf(panels[start + i + k - 1]!);
      // A single heavy panel may exceed the cap: it simply gets a page of its own.
      if (k > 1 && weight > maxWeight + 1e-9) break;
      const rest = best[i + k]!;
      const cand = { pages: rest.pages + 1, squares: rest.squares + weight * weight };
      if (
        !bestHere ||
        cand.pages < bestHere.pages ||
        (cand.pages === bestHere.pages && cand.squares <= bestHere.squares + 1e-9)
      ) {
        bestHere = cand;
        choice[i] = k;
      }
    }
    best[i] = bestHere!;
  }
  return choice[0]!;
}

/** How much the area-share mismatch counts against the aspect mismatch. */
export const AREA_WEIGHT = 8;

/**
 * Cost of showing `panels` (in order) in `template`'s cells: a crop loses what the aspects
 * disagree on, and an important panel wants a bigger share of the page.
 */
export function templateCost(template: PageTemplate, panels: PanelWeight[], page: PageSpec): number {
  const cells = cellRects(template, page, 'ltr');
  const totalArea = cells.reduce((s, c) => s + c.w * c.h, 0);
  const totalWeight = panels.reduce((s, p) => s + weightOf(p), 0);
  let cost = 0;
  cells.forEach((c, i) => {
    const p = panels[i]!;
    const aspectMiss = Math.log(c.w / c.h / (p.imageAspect > 0 ? p.imageAspect : 1));
    const areaMiss = (c.w * c.h) / totalArea - weightOf(p) / totalWeight;
    cost += aspectMiss * aspectMiss + AREA_WEIGHT * areaMiss * areaMiss;
  });
  return cost;
}

/** The cheapest template with as many cells as panels; ties go to the earlier template. */
export function chooseTemplate(panels: PanelWeight[], page: PageSpec): PageTemplate {
  const candidates = templatesWithCells(panels.length);
  let best = candidates[0];
  let bestCost = Infinity;
  for (const t of candidates) {
    const cost = templateCost(t, panels, page);
    if (cost < bestCost - 1e-12) {
      best = t;
      bestCost = cost;
    }
  }
  if (!best) throw new Error(`No page template has ${panels.length} cells; pages hold 1 to 6 panels`);
  return best;
}
