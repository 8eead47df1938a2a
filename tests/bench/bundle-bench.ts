/**
 * Bundle figures for `npm run bench`, in a throwaway Chromium (the seeded library stays as seeded):
 * the seed bundle writes the reader's 40-panel story with two attempts a panel (the accepted one and
 * a rejected reseed with its judge report, a 512×512 PNG each) into a fresh profile; the story editor
 * exports it with every attempt, and fresh profiles import it.
 *
 *   bundleExportMs  from the click on "Export this story and its cast" (every attempt included) until
 *                   the browser's download event (the bundle is written to the origin's private file
 *                   system and handed to the download). Median of `runs` after one warm-up export.
 *   bundleImportMs  in a fresh browser context (an empty profile) per run, from `setInputFiles` on the
 *                   Library's import field until the "Imported …" status is visible: open and check the
 *                   bundle, the preview, the click on Import, every picture checked (SHA-256, type,
 *                   decode), one transaction. Median of `runs` after one warm-up import; every run
 *                   imports into an empty library (no conflicts), and its IndexedDB must then hold what
 *                   the bundle's manifest lists, or the bench fails.
 *   bundleBytes     size of the bundle; also the counts (bundlePanels, bundleAttempts, bundleImages).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { launchFreshBrowser } from './browser';
import { SEED_URL_PATH } from './config';
import { median, type BenchContext, type Figures, type Measure } from './measure';
import { addHooks, TINY } from '../e2e/helpers/hooks';

type SeedModule = typeof import('./browser/seed-entry');

/** Attempts a panel in the exported story: the accepted one and one the artist rejected. */
const ATTEMPTS_PER_PANEL = 2;
const TIMEOUT = 180_000;

export interface BundleFigures extends Figures {
  bundleExportMs: number;
  bundleImportMs: number;
  bundleBytes: number;
  bundlePanels: number;
  bundleAttempts: number;
  bundleImages: number;
}

interface Counts {
  characters: number;
  stories: number;
  panels: number;
  attempts: number;
  images: number;
}

/** What the page's `storyloom` database holds, read with plain IndexedDB. */
const dbCounts = (page: Page): Promise<Counts> =>
  page.evaluate(async () => {
    const empty = { characters: 0, stories: 0, panels: 0, attempts: 0, images: 0 };
    // Not opened here before the app creates it (that would make an empty version 1).
    if (!(await indexedDB.databases()).some((d) => d.name === 'storyloom')) return empty;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('storyloom');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('Could not open storyloom.'));
    });
    try {
      // Inline functions only: tsx would wrap a named one in `__name`, which the page does not have.
      const [characters, stories, panels, attempts, images] = await Promise.all(
        ['characters', 'stories', 'panels', 'attempts', 'images'].map(
          (name) =>
            new Promise<number>((resolve, reject) => {
              if (!db.objectStoreNames.contains(name)) return resolve(0);
              const request = db.transaction(name, 'readonly').objectStore(name).count();
              request.onsuccess = () => resolve(request.result);
              request.onerror = () => reject(request.error ?? new Error(`Could not count ${name}.`));
            }),
        ),
      );
      return {
        characters: characters!,
        stories: stories!,
        panels: panels!,
        attempts: attempts!,
        images: images!,
      };
    } finally {
      db.close();
    }
  });

/** The counts the bundle's own manifest lists. */
function manifestCounts(bundle: Buffer): Counts {
  const entries = unzipSync(new Uint8Array(bundle), { filter: (f) => f.name === 'manifest.json' });
  const raw = entries['manifest.json'];
  if (!raw) throw new Error('The exported bundle has no manifest.json.');
  const m = JSON.parse(new TextDecoder().decode(raw)) as Record<keyof Counts, unknown[]>;
  return {
    characters: m.characters.length,
    stories: m.stories.length,
    panels: m.panels.length,
    attempts: m.attempts.length,
    images: m.images.length,
  };
}

const same = (a: Counts, b: Counts) => (Object.keys(a) as (keyof Counts)[]).every((k) => a[k] === b[k]);
const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' ');

async function newPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

export async function measureBundle(
  browser: Browser,
  baseUrl: string,
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<BundleFigures> {
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => {});
  const errors: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'storyloom-bundle-bench-'));
  const source = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await addHooks(source, TINY);
    const page = await newPage(source, errors);
    await page.goto(`${baseUrl}/#/library`);
    const seeded = await page.evaluate(
      async ({ url, attemptsPerPanel }) => {
        const mod = (await import(/* @vite-ignore */ url)) as SeedModule;
        return mod.seedReaderStory({ attemptsPerPanel });
      },
      { url: SEED_URL_PATH, attemptsPerPanel: ATTEMPTS_PER_PANEL },
    );
    const inSource = await dbCounts(page);
    log(
      `  bundle: seeded a story of ${seeded.panels} panels, ${seeded.attempts} attempts, ${seeded.images} pictures`,
    );

    // 1. Export from the story editor, every attempt included: one warm-up, then `runs`.
    await page.goto('about:blank');
    await page.goto(`${baseUrl}/#/story/${seeded.storyId}`);
    await page.getByTestId('story-share').locator('summary').click();
    const all = page.getByTestId('export-all-attempts');
    if (!(await all.isChecked())) throw new Error('"Include every attempt" is not checked by default.');
    const run = page.getByTestId('export-run');
    const exports: number[] = [];
    let bundlePath = '';
    let bundleName = '';
    for (let i = 0; i <= runs; i++) {
      await page.locator('[data-testid="export-run"]:not([disabled])').waitFor({ timeout: TIMEOUT });
      const download = page.waitForEvent('download', { timeout: TIMEOUT });
      const t0 = Date.now();
      await run.click();
      const file = await download;
      exports.push(Date.now() - t0);
      const status = page.getByTestId('export-status');
      await status.waitFor({ timeout: TIMEOUT });
      const text = (await status.textContent()) ?? '';
      if (!text.startsWith('Exported 1 story, '))
        throw new Error(`The export said "${text}", not "Exported 1 story, …".`);
      if (i === runs) {
        bundleName = file.suggestedFilename();
        // Under the name the studio gave it: the import's preview shows it.
        bundlePath = join(dir, bundleName);
        await file.saveAs(bundlePath);
      } else {
        await file.delete();
      }
    }
    const bundle = await readFile(bundlePath);
    const inBundle = manifestCounts(bundle);
    const expected: Counts = { ...inSource, stories: 1 };
    if (!same(inBundle, expected))
      throw new Error(
        `The bundle lists ${JSON.stringify(inBundle)}; the story it was exported from has ${JSON.stringify(expected)}.`,
      );
    if (inBundle.attempts !== seeded.panels * ATTEMPTS_PER_PANEL)
      throw new Error(
        `The bundle has ${inBundle.attempts} attempts, not ${seeded.panels * ATTEMPTS_PER_PANEL}.`,
      );
    const bundleExportMs = median(exports.slice(1));
    log(
      `  bundle export: "${bundleName}", ${(bundle.length / 1e6).toFixed(1)} MB, ${JSON.stringify(inBundle)}; ` +
        `first ${exports[0]} ms, median ${bundleExportMs.toFixed(0)} ms (${fmt(exports.slice(1))})`,
    );
    await page.close();

    // 2. Import into a fresh profile per run (an empty library: no conflicts); one warm-up, then `runs`.
    const imports: number[] = [];
    const previews: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const target = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        await addHooks(target, TINY);
        const other = await newPage(target, errors);
        await other.goto(`${baseUrl}/#/library`);
        const input = other.locator('[data-testid="import-file"]:not([disabled])');
        await input.waitFor({ state: 'attached', timeout: TIMEOUT });
        // Let the Library settle first (its database opened, the empty list drawn).
        await other.waitForTimeout(500);
        const before = await dbCounts(other);
        if (before.panels + before.attempts + before.images !== 0)
          throw new Error(`The fresh profile is not empty: ${JSON.stringify(before)}.`);
        const t0 = Date.now();
        // A path, not a buffer: Chromium reads the file itself, nothing is copied through Playwright.
        await input.setInputFiles(bundlePath);
        await other.getByTestId('import-preview').waitFor({ timeout: TIMEOUT });
        const t1 = Date.now();
        if ((await other.getByTestId('import-conflicts').count()) !== 0)
          throw new Error('An import into an empty profile reported conflicts.');
        await other.getByTestId('import-commit').click();
        const status = other.getByTestId('import-status');
        await status.waitFor({ timeout: TIMEOUT });
        const t2 = Date.now();
        imports.push(t2 - t0);
        previews.push(t1 - t0);
        const text = (await status.textContent()) ?? '';
        if (!text.startsWith('Imported 1 story, '))
          throw new Error(`The import said "${text}", not "Imported 1 story, …".`);
        const after = await dbCounts(other);
        if (!same(after, inBundle))
          throw new Error(
            `After the import the profile holds ${JSON.stringify(after)}; the bundle lists ${JSON.stringify(inBundle)}.`,
          );
        if (i === runs) {
          // The same bundle again: the preview must name the clash and offer a copy (not timed).
          await input.setInputFiles(bundlePath);
          await other.getByTestId('import-conflicts').waitFor({ timeout: TIMEOUT });
          await other.getByLabel('Import as a copy (both are kept)').check();
          await other.getByTestId('import-commit').click();
          await status.waitFor({ timeout: TIMEOUT });
          const twice = await dbCounts(other);
          const doubled = (Object.keys(inBundle) as (keyof Counts)[]).every(
            (k) => twice[k] === 2 * inBundle[k],
          );
          if (!doubled)
            throw new Error(
              `After a second import as a copy the profile holds ${JSON.stringify(twice)}; expected twice ${JSON.stringify(inBundle)}.`,
            );
        }
      } finally {
        await target.close();
      }
    }
    const bundleImportMs = median(imports.slice(1));
    const commits = imports.map((ms, i) => ms - (previews[i] ?? 0));
    log(
      `  bundle import (fresh profile each): first ${imports[0]} ms, median ${bundleImportMs.toFixed(0)} ms (${fmt(imports.slice(1))}); ` +
        `of which open + check + preview median ${median(previews.slice(1)).toFixed(0)} ms (${fmt(previews.slice(1))}), ` +
        `commit (pictures checked, one transaction) median ${median(commits.slice(1)).toFixed(0)} ms (${fmt(commits.slice(1))})`,
    );
    if (errors.length) throw new Error(`The studio threw: ${errors.join('; ')}`);
    return {
      bundleExportMs: Math.round(bundleExportMs),
      bundleImportMs: Math.round(bundleImportMs),
      bundleBytes: bundle.length,
      bundlePanels: inBundle.panels,
      bundleAttempts: inBundle.attempts,
      bundleImages: inBundle.images,
    };
  } finally {
    await source.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const bundleBench: Measure = {
  name: 'bundle',
  // A fresh browser: the bundle's story must not enter the seeded library, and every import needs an empty profile.
  run: async (ctx: BenchContext) => {
    const fresh = await launchFreshBrowser();
    try {
      return await measureBundle(fresh.browser, ctx.baseUrl, { runs: ctx.runs, log: ctx.log });
    } finally {
      await fresh.close();
    }
  },
};
