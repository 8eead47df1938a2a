/**
 * The Library at the paper's scale: how long a cold open takes until rows are on screen, and how long
 * a search takes until the matching rows are shown.
 */
import type { Page } from '@playwright/test';
import { BENCH_DIST } from '../config';
import { attribute, startCpuProfile } from '../cpu-profile';
import type { Attribution, CpuProfiler } from '../cpu-profile';
import { searchQueries } from '../data';
import { SEED_PAGE_PATH } from '../server';
import { freshPage, median, round } from '../measure';
import type { BenchContext, Figures, Measure } from '../measure';
import { ROW, installFirstRowProbe, installIdbProbe } from './page-probes';
import type { FirstRowProbe, IdbEvent } from './page-probes';

const LIBRARY_PATH = '/#/library';
const SEARCH_BOX = '#library-search';
const TIMEOUT = 60_000;
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 1000);
/**
 * Chromium keeps a database's backing store open for 2 s after its last connection closes (so a reload
 * does not reopen LevelDB). Waiting longer between runs makes every open a cold one, as when a person
 * opens StoryLoom with no StoryLoom tab open.
 */
const COLD_GAP_MS = Number(process.env.BENCH_COLD_GAP_MS ?? 3000);

/**
 * tsx compiles with esbuild's keepNames, which wraps named inner functions in `__name(...)`; functions
 * sent to the page carry those calls, so the page needs a harmless `__name`.
 */
const KEEP_NAMES_SHIM = 'globalThis.__name ??= (fn) => fn;';

async function preparePage(ctx: BenchContext, options: { profile: boolean }): Promise<Page> {
  const page = await freshPage(ctx);
  await page.addInitScript({ content: KEEP_NAMES_SHIM });
  await page.addInitScript({ content: `(${installFirstRowProbe.toString()})(${JSON.stringify(ROW)});` });
  if (options.profile) await page.addInitScript({ content: `(${installIdbProbe.toString()})();` });
  return page;
}

interface OpenRun {
  firstRow: number;
  firstRowFrame: number;
  responseEnd: number;
  /** When the last script file had arrived (the module graph is fetched before it runs). */
  scriptEnd: number;
  domContentLoaded: number;
  scriptBytes: number;
  /** Bytes of script that came over the network (0 would mean the HTTP cache served them). */
  scriptTransfer: number;
  marks: { name: string; startTime: number; duration: number }[];
  idb: IdbEvent[];
}

async function openLibrary(
  ctx: BenchContext,
  profile: boolean,
  options: { settleFirst?: boolean; cpu?: boolean } = {},
): Promise<{ page: Page; run: OpenRun; cpu?: Attribution }> {
  const page = await preparePage(ctx, { profile });
  let profiler: CpuProfiler | undefined;
  if (options.cpu) {
    // Start on a blank page of the same origin, so the navigation stays in the profiled renderer.
    await page.goto(ctx.baseUrl + SEED_PAGE_PATH);
    profiler = await startCpuProfile(ctx.browser, page);
  }
  await page.goto(ctx.baseUrl + LIBRARY_PATH, { waitUntil: 'commit' });
  try {
    await page.waitForFunction(() => window.__benchFirstRow?.firstRowFrame != null, null, {
      timeout: TIMEOUT,
    });
  } catch (e) {
    const text = await page
      .locator('main')
      .innerText({ timeout: 1000 })
      .catch(() => '(no main element)');
    throw new Error(
      `No Library row ([data-testid=library-row]) became visible within ${TIMEOUT / 1000} s of opening ${LIBRARY_PATH}. The page shows: ${text.slice(0, 300)}`,
      { cause: e },
    );
  }
  const cpu = profiler ? await attribute(await profiler.stop(), BENCH_DIST) : undefined;
  if (options.settleFirst) await settle(page, ctx);
  const run = await page.evaluate(() => {
    const probe = window.__benchFirstRow as FirstRowProbe;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    return {
      firstRow: probe.firstRow ?? Number.NaN,
      firstRowFrame: probe.firstRowFrame ?? Number.NaN,
      responseEnd: nav?.responseEnd ?? Number.NaN,
      scriptEnd: Math.max(0, ...resources.filter((r) => r.name.endsWith('.js')).map((r) => r.responseEnd)),
      domContentLoaded: nav?.domContentLoadedEventEnd ?? Number.NaN,
      scriptBytes: resources
        .filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'))
        .reduce((n, r) => n + (r.decodedBodySize || 0), 0),
      scriptTransfer: resources
        .filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'))
        .reduce((n, r) => n + (r.transferSize || 0), 0),
      marks: [...performance.getEntriesByType('mark'), ...performance.getEntriesByType('measure')].map(
        (m) => ({
          name: m.name,
          startTime: m.startTime,
          duration: m.duration,
        }),
      ),
      idb: window.__benchIdb ?? [],
    };
  });
  return { page, run, cpu };
}

function mergeAttribution(a: Attribution, b: Attribution): Attribution {
  const merge = <T extends { ms: number }>(x: T[], y: T[], key: (t: T) => string): T[] => {
    const out = new Map<string, T>();
    for (const t of [...x, ...y]) {
      const had = out.get(key(t));
      out.set(key(t), had ? { ...had, ms: had.ms + t.ms } : t);
    }
    return [...out.values()].sort((p, q) => q.ms - p.ms);
  };
  return {
    owners: merge(a.owners, b.owners, (t) => t.owner),
    functions: merge(a.functions, b.functions, (t) => t.where),
  };
}

/** One line: the open cut into phases, from the navigation and IndexedDB timelines. */
function phases(run: OpenRun): string {
  const open = run.idb.find((e) => e.op === 'open');
  // The Library opens on the characters tab: its first page is what the first row waits for.
  const firstPage = run.idb.filter(
    (e) => e.op.endsWith('openCursor') && e.store === 'characters.by-updatedAt',
  );
  if (open?.end == null || !firstPage.length) return 'phases: (no IndexedDB timeline)';
  const pageStart = Math.min(...firstPage.map((e) => e.start));
  const pageEnd = Math.max(...firstPage.map((e) => e.end ?? e.start));
  const parts = [
    ['navigation + HTML', run.responseEnd],
    ['fetch scripts', run.scriptEnd - run.responseEnd],
    ['run scripts until the database is opened', open.start - run.scriptEnd],
    ['open the database', open.end - open.start],
    ['until the first page is asked for', pageStart - open.end],
    ['read the first page (cursors)', pageEnd - pageStart],
    ['commit, map and render the rows', run.firstRow - pageEnd],
    ['next frame', run.firstRowFrame - run.firstRow],
  ] as const;
  return `phases: ${parts.map(([what, ms]) => `${what} ${round(ms)}`).join(' → ')} ms`;
}

/** Where the time of one open went: navigation, script, and each IndexedDB request up to the first row. */
function explainOpen(run: OpenRun, log: (line: string) => void): void {
  log(
    `  profile: HTML response at ${round(run.responseEnd)} ms, scripts fetched by ${round(run.scriptEnd)} ms, ` +
      `DOMContentLoaded (app script run) at ` +
      `${round(run.domContentLoaded)} ms, first row in the DOM at ${round(run.firstRow)} ms, painted by ` +
      `${round(run.firstRowFrame)} ms; ${(run.scriptBytes / 1024).toFixed(0)} KiB of script ` +
      `(${(run.scriptTransfer / 1024).toFixed(0)} KiB over the network)`,
  );
  for (const m of run.marks) log(`  mark ${m.name}: at ${round(m.startTime)} ms, ${round(m.duration)} ms`);
  const before = run.idb.filter((e) => e.start <= run.firstRow);
  const after = run.idb.length - before.length;
  log(`  IndexedDB requests before the first row: ${before.length} (${after} more after it)`);
  for (const e of before.slice(0, 20)) {
    const took = e.end === null ? 'pending' : `${round(e.end - e.start)} ms`;
    const first =
      e.first === null || e.op.includes('Cursor') === false
        ? ''
        : `, first record after ${round(e.first - e.start)} ms`;
    log(`    ${round(e.start)} ms ${e.op} ${e.store}: ${took}${first}, ${e.n} result(s)`);
  }
  const later = run.idb.filter((e) => e.start > run.firstRow);
  for (const e of later.filter((e) => e.op.includes('getAll') || e.op.includes('count'))) {
    const took = e.end === null ? 'pending' : `${round(e.end - e.start)} ms`;
    log(`    after: ${round(e.start)} ms ${e.op} ${e.store}: ${took}, ${e.n} result(s)`);
  }
  const thumbs = later.filter((e) => e.store === 'images');
  if (thumbs.length) {
    const ends = thumbs.map((e) => e.end ?? Number.NaN);
    log(
      `    after: ${thumbs.length} thumbnail reads of ${new Set(thumbs.map((e) => e.key)).size} images ` +
        `(one transaction each), asked for from ` +
        `${round(Math.min(...thumbs.map((e) => e.start)))} ms, all answered by ${round(Math.max(...ends))} ms, ` +
        `median wait ${round(median(thumbs.map((e) => (e.end ?? Number.NaN) - e.start)))} ms`,
    );
  }
}

/**
 * Let the page finish what opening started (the whole list is read in the background) before it is
 * closed: otherwise the browser's IndexedDB backend is still busy with it while the next run opens.
 */
async function settle(page: Page, ctx: BenchContext): Promise<void> {
  await page.waitForFunction(
    ({ selector, size }) =>
      Number(document.querySelector(selector)?.getAttribute('aria-setsize') ?? 0) === size,
    { selector: ROW, size: ctx.counts.characters },
    { timeout: TIMEOUT },
  );
  await page.waitForTimeout(SETTLE_MS);
}

export const libraryOpen: Measure = {
  name: 'Library cold open',
  async run(ctx) {
    const frames: number[] = [];
    const doms: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const { page, run } = await openLibrary(ctx, ctx.profile);
      ctx.log(
        `    run ${i + 1}: HTML ${round(run.responseEnd)} ms, scripts fetched ${round(run.scriptEnd)} ms, ` +
          `scripts run (DOMContentLoaded) ${round(run.domContentLoaded)} ms, row in DOM ${round(run.firstRow)} ms, ` +
          `painted ${round(run.firstRowFrame)} ms`,
      );
      if (ctx.profile) ctx.log(`      ${phases(run)}`);
      await settle(page, ctx);
      await page.close();
      await new Promise((resolve) => setTimeout(resolve, COLD_GAP_MS));
      frames.push(run.firstRowFrame);
      doms.push(run.firstRow);
    }
    const probed = ctx.profile ? ' (profile mode: IndexedDB calls were wrapped)' : '';
    ctx.log(
      `Library cold open → first row visible${probed}: median ${round(median(frames))} ms ` +
        `(runs ${frames.map(round).join(', ')} ms; in the DOM at median ${round(median(doms))} ms)`,
    );
    if (ctx.profile) {
      // One more open, kept until the whole list is read, to show what comes after the first row.
      const { page, run, cpu } = await openLibrary(ctx, true, { settleFirst: true, cpu: true });
      await page.close();
      explainOpen(run, ctx.log);
      if (cpu) {
        const total = cpu.owners.reduce((n, c) => n + c.ms, 0);
        const top = cpu.owners.slice(0, 12).map((c) => `${c.owner} ${round(c.ms)}`);
        ctx.log(`  main-thread CPU until the first row (sampled, ${round(total)} ms): ${top.join(', ')} ms`);
        for (const f of cpu.functions.slice(0, 12)) ctx.log(`    ${round(f.ms)} ms  ${f.where}`);
      }
    }
    return { libraryOpenMs: round(median(frames)) };
  },
};

// ------------------------------------------------------------------ search

interface SearchRun {
  /** From the input event until every row on screen matches the query (DOM updated). */
  dom: number;
  /** …until the frame after that. */
  frame: number;
  rows: number;
  matches: number;
}

/** The number of rows the list holds (every row carries aria-setsize), or 0 when it is empty. */
const listSize = (page: Page): Promise<number> =>
  page.evaluate(
    (selector) => Number(document.querySelector(selector)?.getAttribute('aria-setsize') ?? 0),
    ROW,
  );

async function showFullList(page: Page, kind: 'character' | 'story', size: number): Promise<void> {
  await page.locator(`#tab-${kind}`).click();
  const box = page.locator(SEARCH_BOX);
  if ((await box.inputValue()) !== '') await box.fill('');
  await page.waitForFunction(
    ({ selector, size }) =>
      Number(document.querySelector(selector)?.getAttribute('aria-setsize') ?? 0) === size,
    { selector: ROW, size },
    { timeout: TIMEOUT },
  );
}

/** In the page: type the whole query as one input event and wait until the shown rows all match it. */
function searchOnce(page: Page, query: string): Promise<SearchRun> {
  return page.evaluate(
    ({ query, row, box, timeout }) =>
      new Promise<SearchRun>((resolve, reject) => {
        const input = document.querySelector<HTMLInputElement>(box);
        if (!input) return reject(new Error(`There is no search box (${box}) in the Library.`));
        const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
        const rowsMatch = (): boolean => {
          const rows = [...document.querySelectorAll(row)];
          return (
            rows.length > 0 &&
            rows.every((r) => terms.every((t) => (r.textContent ?? '').toLowerCase().includes(t)))
          );
        };
        let t0 = 0;
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`The Library did not show rows matching "${query}" within ${timeout / 1000} s.`));
        }, timeout);
        const observer = new MutationObserver(() => {
          if (!rowsMatch()) return;
          const dom = performance.now() - t0;
          observer.disconnect();
          clearTimeout(timer);
          requestAnimationFrame(() =>
            setTimeout(() => {
              const first = document.querySelector(row);
              resolve({
                dom,
                frame: performance.now() - t0,
                rows: document.querySelectorAll(row).length,
                matches: Number(first?.getAttribute('aria-setsize') ?? 0),
              });
            }, 0),
          );
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        t0 = performance.now();
        input.value = query;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }),
    { query, row: ROW, box: SEARCH_BOX, timeout: 10_000 },
  );
}

export const librarySearch: Measure = {
  name: 'Library search',
  async run(ctx) {
    const { page } = await openLibrary(ctx, false);
    const full = { character: ctx.counts.characters, story: ctx.counts.stories };
    const frames: number[] = [];
    const figures: Figures = {};
    for (const { query, from } of searchQueries(ctx.spec)) {
      await showFullList(page, from, full[from]);
      const run = await searchOnce(page, query);
      frames.push(run.frame);
      ctx.log(
        `  search ${from === 'character' ? 'characters' : 'stories'} for "${query}": ${round(run.frame)} ms ` +
          `(DOM ${round(run.dom)} ms), ${run.matches} matches, ${run.rows} rows drawn`,
      );
    }
    ctx.log(`Library search → matching rows shown: median ${round(median(frames))} ms`);
    if (ctx.profile) {
      // The same queries again under the CPU profiler: what a search costs on the main thread.
      let sampled: Attribution | null = null;
      for (const { query, from } of searchQueries(ctx.spec)) {
        await showFullList(page, from, full[from]);
        const profiler = await startCpuProfile(ctx.browser, page);
        await searchOnce(page, query);
        const cpu = await attribute(await profiler.stop(), BENCH_DIST);
        sampled = sampled ? mergeAttribution(sampled, cpu) : cpu;
      }
      if (sampled) {
        const busy = sampled.functions.filter((f) => f.where !== '(idle)');
        const total = busy.reduce((n, f) => n + f.ms, 0);
        ctx.log(`  main-thread CPU of the ${frames.length} searches (sampled, ${round(total)} ms busy):`);
        for (const f of busy.slice(0, 10)) ctx.log(`    ${round(f.ms)} ms  ${f.where}`);
      }
    }
    // The list is whole again for whoever comes next.
    await showFullList(page, 'character', full.character);
    if ((await listSize(page)) !== full.character)
      throw new Error('The Library did not return to the full list.');
    await page.close();
    figures.librarySearchMs = round(median(frames));
    return figures;
  },
};
