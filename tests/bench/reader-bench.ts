/**
 * Reader figures for `npm run bench`, in a throwaway Chromium (the seeded library stays as seeded):
 * the seed bundle writes one 40-panel story (two characters, two lines a panel, a caption on every
 * third, a 512×512 picture each) into the fresh profile; the reader opens it.
 *
 *   readerLayoutMs  layout and lettering of the whole story (pages, crops, text fitting with the
 *                   canvas's own text measurement, balloon placement, tails), as the app times it
 *                   (`storyloom:reader-layout`); each ltr ⇄ rtl switch relays out. Median after the
 *                   first layout (first-time JIT, empty width cache; the fonts load before it). Aim ≤ 50 ms.
 *   pageRenderMs    one A4 page to a PNG at 300 dpi (2480 × 3508 px) through the "Save page as PNG"
 *                   button (`storyloom:page-render`). Median after the first (worker start).
 *   readerPages     pages of the story (informative).
 */
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from '@playwright/test';
import { launchFreshBrowser } from './browser';
import { SEED_URL_PATH } from './config';
import { attribute, startCpuProfile } from './cpu-profile';
import { BENCH_DIST } from './config';
import { median, type BenchContext, type Figures, type Measure } from './measure';
import { addHooks, TINY } from '../e2e/helpers/hooks';

type SeedModule = typeof import('./browser/seed-entry');

const LAYOUT_MEASURE = 'storyloom:reader-layout';
const RENDER_MEASURE = 'storyloom:page-render';
/** A4 at 300 dpi: 210 mm × 297 mm → 2480 × 3508 px. */
const A4_300DPI = [2480, 3508] as const;

export interface ReaderFigures extends Figures {
  readerLayoutMs: number;
  pageRenderMs: number;
  readerPages: number;
}

const durations = (page: Page, name: string): Promise<number[]> =>
  page.evaluate((n) => performance.getEntriesByName(n, 'measure').map((e) => e.duration), name);

/** Waits until `name` has at least `min` entries and no new one for `quietMs`; returns them. */
async function settled(page: Page, name: string, min: number, quietMs = 400): Promise<number[]> {
  const deadline = Date.now() + 30_000;
  let last = await durations(page, name);
  let since = Date.now();
  for (;;) {
    await page.waitForTimeout(50);
    const now = await durations(page, name);
    if (now.length !== last.length) {
      last = now;
      since = Date.now();
    } else if (now.length >= min && Date.now() - since >= quietMs) {
      return now;
    }
    if (Date.now() > deadline)
      throw new Error(`Waited 30 s for ${min} "${name}" measures; the page made ${now.length}.`);
  }
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  if (png.length < 24 || png.subarray(1, 4).toString('latin1') !== 'PNG')
    throw new Error(`The saved page is not a PNG (${png.length} bytes).`);
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/**
 * Profile mode: counts and times the canvas's text measurement (measureText calls, font changes)
 * on the page, to tell how much of a layout is the browser measuring words.
 */
function countTextMeasurement(): void {
  const scope = globalThis as unknown as { __benchText: { calls: number; ms: number; fontSets: number } };
  scope.__benchText = { calls: 0, ms: 0, fontSets: 0 };
  for (const proto of [OffscreenCanvasRenderingContext2D.prototype, CanvasRenderingContext2D.prototype]) {
    const measure = proto.measureText;
    proto.measureText = function (this: typeof proto, text: string) {
      const t0 = performance.now();
      try {
        return measure.call(this, text);
      } finally {
        scope.__benchText.calls++;
        scope.__benchText.ms += performance.now() - t0;
      }
    };
    const font = Object.getOwnPropertyDescriptor(proto, 'font');
    if (!font?.set || !font.get) continue;
    const { get, set } = font;
    Object.defineProperty(proto, 'font', {
      configurable: true,
      get() {
        return get.call(this) as string;
      },
      set(value: string) {
        const t0 = performance.now();
        set.call(this, value);
        scope.__benchText.fontSets++;
        scope.__benchText.ms += performance.now() - t0;
      },
    });
  }
}

const textCounters = (page: Page) =>
  page.evaluate(
    () =>
      (globalThis as unknown as { __benchText: { calls: number; ms: number; fontSets: number } }).__benchText,
  );

const fmt = (values: number[]) => values.map((v) => v.toFixed(1)).join(' ');

export async function measureReader(
  browser: BrowserContext,
  baseUrl: string,
  options: { runs?: number; log?: (line: string) => void; profile?: boolean } = {},
): Promise<ReaderFigures> {
  const runs = options.runs ?? 5;
  const profile = options.profile ?? false;
  const log = options.log ?? (() => {});
  await addHooks(browser, TINY);
  if (profile) await browser.addInitScript(countTextMeasurement);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${baseUrl}/#/library`);
    const seeded = await page.evaluate(async (url) => {
      const mod = (await import(/* @vite-ignore */ url)) as SeedModule;
      return mod.seedReaderStory();
    }, SEED_URL_PATH);
    log(`  reader: seeded a story of ${seeded.panels} panels`);

    // A reload, so the reader's first layout is the first one this page does.
    await page.goto('about:blank');
    await page.goto(`${baseUrl}/#/read/${seeded.storyId}`);
    const reader = page.getByTestId('reader');
    await page.locator('[data-testid="reader"]:not([data-pages="0"])').waitFor({ timeout: 60_000 });
    await page.getByTestId('reader-page').first().waitFor();
    const pages = Number(await reader.getAttribute('data-pages'));
    const direction = page.getByTestId('reader-direction');

    // 1. Layout: each direction switch relays out (at once, and again when the saved story comes back).
    let layouts = await settled(page, LAYOUT_MEASURE, 1);
    log(`  reader: ${pages} pages; first layout ${fmt(layouts)} ms (JIT, empty width cache: not counted)`);
    const textBefore = profile ? await textCounters(page) : null;
    if (textBefore)
      log(
        `  profile: until the first layout was done, ${textBefore.calls} measureText calls, ${textBefore.fontSets} font changes, ${textBefore.ms.toFixed(1)} ms in them`,
      );
    const profiler = profile ? await startCpuProfile(browser, page) : null;
    for (let i = 0; i < runs; i++) {
      for (const to of ['rtl', 'ltr'] as const) {
        await direction.selectOption(to);
        await page.locator(`[data-testid="reader"][data-direction="${to}"]`).waitFor();
        layouts = await settled(page, LAYOUT_MEASURE, layouts.length + 1);
      }
    }
    const warmLayouts = layouts.slice(1);
    const readerLayoutMs = median(warmLayouts);
    log(
      `  reader layout: median ${readerLayoutMs.toFixed(1)} ms over ${warmLayouts.length} layouts (${fmt(warmLayouts)})`,
    );
    if (profiler && textBefore) {
      const cpu = await attribute(await profiler.stop(), BENCH_DIST);
      const text = await textCounters(page);
      const n = warmLayouts.length;
      log(
        `  profile (the sampler slows the layouts above): per later layout ${((text.calls - textBefore.calls) / n).toFixed(0)} measureText calls (the app memoises widths), ` +
          `${((text.fontSets - textBefore.fontSets) / n).toFixed(0)} font changes, ${((text.ms - textBefore.ms) / n).toFixed(1)} ms in them`,
      );
      log('  profile, sampled self time over all the switches (layout and the pages redrawn), by owner:');
      for (const o of cpu.owners.slice(0, 12)) log(`    ${o.ms.toFixed(0).padStart(6)} ms  ${o.owner}`);
      log('  by function:');
      for (const f of cpu.functions.slice(0, 20)) log(`    ${f.ms.toFixed(0).padStart(6)} ms  ${f.where}`);
    }

    // 2. One page at 300 dpi, through the button, `runs` + 1 times (the first starts the worker).
    await page.getByTestId('reader-dpi').selectOption('300');
    const button = page.getByTestId('reader-png');
    for (let i = 0; i <= runs; i++) {
      const download = page.waitForEvent('download', { timeout: 120_000 });
      await button.click();
      const file = await (await download).path();
      const size = pngSize(await readFile(file));
      if (size[0] !== A4_300DPI[0] || size[1] !== A4_300DPI[1])
        throw new Error(
          `The page saved at 300 dpi is ${size.join(' × ')} px; an A4 page at 300 dpi is ${A4_300DPI.join(' × ')}.`,
        );
      await page.locator('[data-testid="reader-png"]:not([disabled])').waitFor();
    }
    const renders = await page.evaluate(
      (n) =>
        performance
          .getEntriesByName(n, 'measure')
          .map((e) => ({ ms: e.duration, dpi: ((e as PerformanceMeasure).detail as { dpi?: number })?.dpi })),
      RENDER_MEASURE,
    );
    if (renders.length !== runs + 1 || renders.some((r) => r.dpi !== 300))
      throw new Error(
        `Expected ${runs + 1} page renders at 300 dpi, the page measured ${JSON.stringify(renders)}.`,
      );
    const warmRenders = renders.slice(1).map((r) => r.ms);
    const pageRenderMs = median(warmRenders);
    log(
      `  page render (A4, 300 dpi): first ${renders[0]!.ms.toFixed(0)} ms, median ${pageRenderMs.toFixed(0)} ms (${fmt(warmRenders)})`,
    );
    if (errors.length) throw new Error(`The reader page threw: ${errors.join('; ')}`);
    return {
      readerLayoutMs: Number(readerLayoutMs.toFixed(1)),
      pageRenderMs: Math.round(pageRenderMs),
      readerPages: pages,
    };
  } finally {
    await page.close();
  }
}

export const readerBench: Measure = {
  name: 'reader',
  // A fresh profile: the reader's story must not enter the seeded library.
  run: async (ctx: BenchContext) => {
    const fresh = await launchFreshBrowser();
    try {
      return await measureReader(fresh.context, ctx.baseUrl, {
        runs: ctx.runs,
        log: ctx.log,
        profile: ctx.profile,
      });
    } finally {
      await fresh.close();
    }
  },
};
