/**
 * What a bench measurement is: a named function that drives the seeded studio and returns some
 * figures (keys of the final JSON line). Later issues add their own measures to the list in run.ts.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { LibraryCounts } from './browser/seed-entry';
import type { BenchSpec } from './data';

/** One number per key, or a small table of numbers (per capability set, per stage…). */
export type Figures = Record<string, number | Record<string, unknown>>;

export interface BenchContext {
  browser: BrowserContext;
  baseUrl: string;
  spec: BenchSpec;
  /** What the seeded database holds. */
  counts: LibraryCounts;
  /** Repetitions for a median (default 5). */
  runs: number;
  /** Also collect where the time goes (IndexedDB request timeline, app marks); slower, printed only. */
  profile: boolean;
  log(line: string): void;
}

export interface Measure {
  name: string;
  run(ctx: BenchContext): Promise<Figures>;
}

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const round = (ms: number): number => Math.round(ms);

/** A fresh tab with an empty HTTP cache (the IndexedDB stays): nothing of an earlier run is warm but the disk. */
export async function freshPage(ctx: BenchContext): Promise<Page> {
  for (const old of ctx.browser.pages()) await old.close();
  const page = await ctx.browser.newPage();
  const cdp = await ctx.browser.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  await cdp.detach();
  page.on('pageerror', (e) => ctx.log(`  page error: ${e.message}`));
  return page;
}
