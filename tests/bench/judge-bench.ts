/**
 * Judge figures for `npm run bench`: a two-character panel drawn with the bench-size UNet twin
 * (512×512 px) over the tiny pack on WebGPU, judged in the engine worker with the tiny pack's
 * OWL-ViT, CLIP and Florence-2 twins (transformers.js, WASM) before the picture leaves the worker.
 * The first attempt loads every model; the figures are medians of the warm attempts after it.
 *
 *   judgeCostRatio   judge time ÷ generation time per attempt (worker wall times); aim ≤ 0.5
 *   judgeMs          judge time of one warm attempt
 *   judgeColdMs      judge time of the first attempt (model loading and template embeddings included)
 *
 * Hook: `import { judgeBench } from './judge-bench'` and add it to MEASURES in run.ts.
 */
import type { Page } from '@playwright/test';
import { makePng } from '../e2e/helpers/png';
import { launchFreshBrowser } from './browser';
import { median, type BenchContext, type Figures, type Measure } from './measure';
import { reopen, TINY } from '../e2e/helpers/hooks';
import { pickCharacter } from '../e2e/helpers/cast';

async function setUp(page: Page, baseUrl: string): Promise<string> {
  for (const [name, seed] of [
    ['Judge Mira', 5],
    ['Judge Tomas', 9],
  ] as const) {
    await page.goto(`${baseUrl}/#/character/new`);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page
      .getByLabel('Add reference images')
      .setInputFiles({ name: 'template.png', mimeType: 'image/png', buffer: makePng(64, 96, seed) });
    await page.getByTestId('template-image').first().waitFor();
    await page.getByLabel('Verified template').check();
    await page.getByRole('button', { name: 'Save character' }).click();
    await page.getByTestId('form-status').waitFor();
  }
  await page.goto(`${baseUrl}/#/story/new`);
  await page.getByLabel('Title', { exact: true }).fill('Judge bench');
  for (const name of ['Judge Mira', 'Judge Tomas']) {
    await pickCharacter(page, name);
    await page.getByRole('button', { name: 'Add to panel' }).click();
  }
  await page.getByLabel('Location').fill('a market square');
  await page.getByRole('button', { name: 'Save story' }).click();
  await page.waitForURL(/#\/story\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop() as string;
}

/** Worker timings of the story's newest attempt, from IndexedDB. */
async function lastTimings(page: Page, storyId: string): Promise<Record<string, number>> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = await new Promise<{ storyId: string; createdAt: number; timings: Record<string, number> }[]>(
      (resolve, reject) => {
        const r = db.transaction('attempts').objectStore('attempts').getAll();
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      },
    );
    db.close();
    const mine = all.filter((a) => a.storyId === id).sort((a, b) => a.createdAt - b.createdAt);
    return mine.at(-1)?.timings ?? {};
  }, storyId);
}

async function generateOnce(page: Page, storyId: string, seed: number) {
  await page.getByLabel('Seed', { exact: true }).fill(String(seed));
  await page.getByLabel('Seed', { exact: true }).dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByText(`seed ${seed})`).waitFor({ timeout: 900_000 });
  const backend = await page.getByTestId('generate-facts').getAttribute('data-backend');
  const t = await lastTimings(page, storyId);
  const judgeMs = t.judgeMs ?? Number.NaN;
  if (!Number.isFinite(judgeMs)) throw new Error('The attempt has no judge time: the judge did not run.');
  return { backend, generationMs: t.totalMs ?? Number.NaN, judgeMs, judgeLoadMs: t.judgeLoadMs ?? 0 };
}

export async function measureJudge(
  page: Page,
  baseUrl: string,
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<Figures> {
  const log = options.log ?? (() => {});
  const storyId = await setUp(page, baseUrl);
  await reopen(page, `${baseUrl}/#/story/${storyId}`, { ...TINY, unetPack: 'bench' });
  const cold = await generateOnce(page, storyId, 1);
  if (cold.backend !== 'webgpu') throw new Error(`The engine ran on ${cold.backend}, not WebGPU.`);
  log(
    `  judge cold: ${cold.judgeMs.toFixed(0)} ms (loading ${cold.judgeLoadMs.toFixed(0)} ms) after ${cold.generationMs.toFixed(0)} ms of generation`,
  );
  const warm = [];
  for (let i = 0; i < (options.runs ?? 2); i++) warm.push(await generateOnce(page, storyId, 2 + i));
  const ratios = warm.map((w) => w.judgeMs / w.generationMs);
  log(
    `  judge warm: ${warm.map((w) => `${w.judgeMs.toFixed(0)} ms / ${w.generationMs.toFixed(0)} ms`).join(', ')}`,
  );
  return {
    judgeCostRatio: Number(median(ratios).toFixed(3)),
    judgeMs: Math.round(median(warm.map((w) => w.judgeMs))),
    judgeColdMs: Math.round(cold.judgeMs),
    judgeGenerationMs: Math.round(median(warm.map((w) => w.generationMs))),
  };
}

export const judgeBench: Measure = {
  name: 'judge',
  // A fresh profile: the characters and story of this measure must not enter the seeded library.
  run: async (ctx: BenchContext) => {
    const fresh = await launchFreshBrowser();
    try {
      const page = await fresh.context.newPage();
      return await measureJudge(page, ctx.baseUrl, { runs: Math.min(ctx.runs, 2), log: ctx.log });
    } finally {
      await fresh.close();
    }
  },
};
