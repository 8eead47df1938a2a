/**
 * Engine figures for `npm run bench`: one text-to-image generation with the bench-size UNet twin
 * (512×512 px, 64×64 latents) over the tiny pack, on WebGPU, through the real studio (character,
 * story, Generate). The first generation loads the models and fills the encoder cache; the
 * figures come from the median of the warm ones after it.
 *
 *   pipelineOverheadRatio   worker wall time of one generation ÷ sum of ORT run times inside it
 *                           (GPU readback waits count as ORT time); aim ≤ 1.10
 *   latentReadbacksPerImage GPU→CPU copies of latents per image (the debug counter); aim 0
 *
 * Hook: `import { engineBench } from './engine-bench'` and add it to MEASURES in run.ts.
 */
import { launchFreshBrowser } from './browser';
import type { BrowserContext, Page } from '@playwright/test';
import { makePng } from '../e2e/helpers/png';
import { median, type BenchContext, type Figures, type Measure } from './measure';
import { reopen, TINY } from '../e2e/helpers/hooks';
import { pickCharacter } from '../e2e/helpers/cast';

export interface EngineFigures extends Figures {
  pipelineOverheadRatio: number;
  latentReadbacksPerImage: number;
  generationMs: number;
  ortMs: number;
  ortRuns: number;
}

async function setUp(page: Page, baseUrl: string): Promise<string> {
  await page.goto(`${baseUrl}/#/character/new`);
  await page.getByLabel('Name', { exact: true }).fill('Bench Mira');
  await page
    .getByLabel('Add reference images')
    .setInputFiles({ name: 'mira.png', mimeType: 'image/png', buffer: makePng(48, 48, 5) });
  await page.getByTestId('template-image').first().waitFor();
  await page.getByLabel('Verified template').check();
  await page.getByRole('button', { name: 'Save character' }).click();
  await page.getByTestId('form-status').waitFor();
  await page.goto(`${baseUrl}/#/story/new`);
  await page.getByLabel('Title', { exact: true }).fill('Engine bench');
  await pickCharacter(page, 'Bench Mira');
  await page.getByRole('button', { name: 'Add to panel' }).click();
  await page.getByRole('button', { name: 'Save story' }).click();
  await page.waitForURL(/#\/story\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop() as string;
}

async function generateOnce(page: Page, seed: number) {
  const facts = page.getByTestId('generate-facts');
  await page.getByLabel('Seed').fill(String(seed));
  await page.getByLabel('Seed').dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByText(`seed ${seed})`).waitFor({ timeout: 600_000 });
  const read = async (name: string) => Number(await facts.getAttribute(name));
  return {
    backend: await facts.getAttribute('data-backend'),
    totalMs: await read('data-total-ms'),
    ortMs: await read('data-ort-ms'),
    ortRuns: await read('data-ort-runs'),
    latentReadbacks: await read('data-latent-readbacks'),
  };
}

/** Runs `runs` warm generations (after one cold one) and returns the figures. */
export async function measureEngine(
  browser: BrowserContext,
  baseUrl: string,
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<EngineFigures> {
  const log = options.log ?? (() => {});
  const page = await browser.newPage();
  try {
    const storyId = await setUp(page, baseUrl);
    await reopen(page, `${baseUrl}/#/story/${storyId}`, { ...TINY, unetPack: 'bench' });
    const cold = await generateOnce(page, 1);
    if (cold.backend !== 'webgpu') throw new Error(`The engine ran on ${cold.backend}, not WebGPU.`);
    log(
      `  engine cold: ${cold.totalMs.toFixed(0)} ms (ORT ${cold.ortMs.toFixed(0)} ms, ${cold.ortRuns} runs)`,
    );
    const warm = [];
    for (let i = 0; i < (options.runs ?? 3); i++) warm.push(await generateOnce(page, 2 + i));
    const totalMs = median(warm.map((w) => w.totalMs));
    const ortMs = median(warm.map((w) => w.ortMs));
    const ratios = warm.map((w) => w.totalMs / w.ortMs);
    log(
      `  engine warm: ${totalMs.toFixed(0)} ms, ORT ${ortMs.toFixed(0)} ms, ratios ${ratios.map((r) => r.toFixed(3)).join(' ')}`,
    );
    return {
      pipelineOverheadRatio: Number(median(ratios).toFixed(3)),
      latentReadbacksPerImage: Math.max(...[cold, ...warm].map((w) => w.latentReadbacks)),
      generationMs: Math.round(totalMs),
      ortMs: Math.round(ortMs),
      ortRuns: warm[0]?.ortRuns ?? 0,
    };
  } finally {
    await page.close();
  }
}

export const engineBench: Measure = {
  name: 'engine',
  // A fresh profile: this measure creates a character and a story, which must not enter the seeded library.
  run: async (ctx: BenchContext) => {
    const fresh = await launchFreshBrowser();
    try {
      return await measureEngine(fresh.context, ctx.baseUrl, { runs: Math.min(ctx.runs, 3), log: ctx.log });
    } finally {
      await fresh.close();
    }
  },
};
