/**
 * Dataset figures for `npm run bench`, on the seeded paper-scale library (2,000 characters, 10,000
 * stories, every panel accepted with its own picture): the Library's "Export the dataset" with every
 * format (ImageFolder, OmniGen2, ViStoryBench), the real dataset service on the page's main thread,
 * written to the origin's private file system (OPFS) and handed to downloads, as an artist gets it.
 *
 *   datasetExportMBps    bytes of the zip part(s) in OPFS once the export says it is done, ÷ the wall time
 *                        from the click on "Export the dataset" until its "Exported …" status (MiB/s).
 *   datasetExportPeakMB  the most JavaScript heap the page used while it exported: CDP
 *                        `Performance.getMetrics` → `JSHeapUsedSize`, sampled every 250 ms (MiB). The
 *                        export runs on the page's main thread (no worker), so that heap is its heap.
 *   datasetExportPeakRendererMB  informative: the most resident memory (RSS, /proc via `ps`) of the
 *                        profile's renderer processes in the same samples; it also counts Blob bytes,
 *                        decoded fonts and the rest of the page, which the JS heap does not.
 *   datasetExportMs, datasetExportBytes, datasetRows, datasetParts: what was timed and written.
 *
 * One export per bench run (it takes minutes); the OPFS files and the downloads are removed after.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { PROFILE_DIR } from './config';
import { freshPage, type BenchContext, type Figures, type Measure } from './measure';

const run = promisify(execFile);
const SAMPLE_MS = 250;
const TIMEOUT = 60 * 60_000;
const MiB = 1024 * 1024;

export interface DatasetFigures extends Figures {
  datasetExportMBps: number;
  datasetExportPeakMB: number;
  datasetExportPeakRendererMB: number;
  datasetExportMs: number;
  datasetExportBytes: number;
  datasetRows: number;
  datasetParts: number;
}

/** Resident memory (bytes) of this profile's renderer processes, summed. */
async function rendererRss(): Promise<number> {
  const { stdout } = await run('ps', ['-eo', 'rss=,args='], { maxBuffer: 16 * MiB });
  let kib = 0;
  for (const line of stdout.split('\n')) {
    if (!line.includes('--type=renderer') || !line.includes(`--user-data-dir=${PROFILE_DIR}`)) continue;
    kib += Number(line.trim().split(/\s+/, 1)[0]) || 0;
  }
  return kib * 1024;
}

/** The zip parts the export left in OPFS (name → bytes). */
const opfsParts = (page: Page): Promise<Record<string, number>> =>
  page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('dataset-exports').catch(() => null);
    const out: Record<string, number> = {};
    if (!dir) return out;
    for await (const [name, handle] of (
      dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
    ).entries())
      if (handle.kind === 'file') out[name] = (await (handle as FileSystemFileHandle).getFile()).size;
    return out;
  });

const removeOpfsExports = (page: Page): Promise<void> =>
  page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry('dataset-exports', { recursive: true }).catch(() => undefined);
  });

export async function measureDataset(ctx: BenchContext): Promise<DatasetFigures> {
  const page = await freshPage(ctx);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await ctx.browser.newCDPSession(page);
  try {
    await page.goto(`${ctx.baseUrl}/#/library`);
    await page.getByTestId('library-row').first().waitFor({ timeout: 120_000 });
    // Whatever an earlier (interrupted) run left in OPFS goes first; the export would remove it too.
    await removeOpfsExports(page);
    await page.getByTestId('library-dataset').locator('summary').click();
    const box = page.getByTestId('export-dataset');
    for (const f of await box.getByRole('checkbox').all())
      if (!(await f.isChecked())) throw new Error('Not every dataset format is chosen by default.');
    await cdp.send('Performance.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    };
    const baseHeap = await heap();
    const baseRss = await rendererRss();

    const downloads: Promise<void>[] = [];
    page.on('download', (d) => downloads.push(d.path().then(() => d.delete())));
    let peakHeap = baseHeap;
    let peakRss = baseRss;
    let sampling = true;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        const [h, r] = await Promise.all([heap(), rendererRss()]);
        peakHeap = Math.max(peakHeap, h);
        peakRss = Math.max(peakRss, r);
        samples++;
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      }
    })();
    const progress = setInterval(() => {
      void box
        .locator('.progress')
        .textContent({ timeout: 1000 })
        .then((t) => t && ctx.log(`  dataset: ${t.trim().replace(/\s+/g, ' ')}`))
        .catch(() => undefined);
    }, 30_000);
    const t0 = Date.now();
    await box.getByTestId('export-dataset-run').click();
    const status = box.getByTestId('dataset-status').or(box.getByTestId('dataset-error'));
    await status.waitFor({ timeout: TIMEOUT });
    const ms = Date.now() - t0;
    sampling = false;
    clearInterval(progress);
    await sampler;
    const text = ((await status.textContent()) ?? '').trim();
    if (!text.startsWith('Exported ')) throw new Error(`The dataset export said "${text}".`);
    const parts = await opfsParts(page);
    const bytes = Object.values(parts).reduce((n, b) => n + b, 0);
    const rows = Number(/^Exported ([\d,]+) accepted panel/.exec(text)?.[1]?.replace(/,/g, '') ?? NaN);
    if (rows !== ctx.counts.panels)
      throw new Error(`The export wrote ${rows} rows; the library has ${ctx.counts.panels} accepted panels.`);
    const names = Object.keys(parts).sort();
    ctx.log(
      `  dataset export: ${text} — ${names.length} part(s) ${names.join(', ')}, ${(bytes / MiB).toFixed(0)} MiB ` +
        `in ${(ms / 1000).toFixed(1)} s; JS heap ${(baseHeap / MiB).toFixed(0)} → peak ${(peakHeap / MiB).toFixed(0)} MiB, ` +
        `renderer RSS ${(baseRss / MiB).toFixed(0)} → peak ${(peakRss / MiB).toFixed(0)} MiB (${samples} samples)`,
    );
    await Promise.all(downloads);
    if (downloads.length !== names.length)
      throw new Error(`${names.length} part(s) were written but ${downloads.length} downloaded.`);
    if (errors.length) throw new Error(`The studio threw: ${errors.join('; ')}`);
    return {
      datasetExportMBps: Math.round((bytes / MiB / (ms / 1000)) * 10) / 10,
      datasetExportPeakMB: Math.round(peakHeap / MiB),
      datasetExportPeakRendererMB: Math.round(peakRss / MiB),
      datasetExportMs: ms,
      datasetExportBytes: bytes,
      datasetRows: rows,
      datasetParts: names.length,
    };
  } finally {
    await removeOpfsExports(page).catch(() => undefined);
    await cdp.detach().catch(() => undefined);
    await page.close();
  }
}

export const datasetBench: Measure = { name: 'dataset', run: measureDataset };
