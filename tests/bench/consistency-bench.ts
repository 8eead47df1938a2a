/**
 * Consistency-tool figures for `npm run bench`, with the bench-size UNet twin (512×512 px) over
 * the tiny pack on WebGPU, through the real studio (characters, story, Generate, the brush panel):
 *
 *   localEditCostRatio      wall time of a local edit of a box a quarter of the image (256×256 px,
 *                           every step, strength 1) ÷ one full text-to-image generation; aim ≤ 0.30
 *   regionalCostPerRegion   extra wall time per additional region ÷ a one-region generation:
 *                           the slope of generation time over 1, 2 and 3 characters (2 and 3 run
 *                           regional guidance with one batched UNet call per step) ÷ the 1-character time
 *
 * Times are the worker's (timings.totalMs). Each cycle runs 1, 2 and 3 characters and the edit
 * back to back, so its ratios see one machine load; the figures are medians of per-cycle ratios
 * after one cold cycle. The judge is switched off (`?judge=off`) so only drawing is timed.
 */
import { launchFreshBrowser } from './browser';
import type { BrowserContext, Page } from '@playwright/test';
import { makePng } from '../e2e/helpers/png';
import { median, type BenchContext, type Figures, type Measure } from './measure';
import { reopen, TINY } from '../e2e/helpers/hooks';
import { pickCharacter } from '../e2e/helpers/cast';

export interface ConsistencyFigures extends Figures {
  localEditCostRatio: number;
  regionalCostPerRegion: number;
  oneRegionMs: number;
  twoRegionMs: number;
  threeRegionMs: number;
  localEditMs: number;
}

const NAMES = ['Bench Ada', 'Bench Bo', 'Bench Cy'];

async function setUp(page: Page, baseUrl: string): Promise<string> {
  for (const [i, name] of NAMES.entries()) {
    await page.goto(`${baseUrl}/#/character/new`);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page
      .getByLabel('Add reference images')
      .setInputFiles({ name: `c${i}.png`, mimeType: 'image/png', buffer: makePng(48, 48, 20 + i) });
    await page.getByTestId('template-image').first().waitFor();
    await page.getByLabel('Verified template').check();
    await page.getByRole('button', { name: 'Save character' }).click();
    await page.getByTestId('form-status').waitFor();
  }
  await page.goto(`${baseUrl}/#/story/new`);
  await page.getByLabel('Title', { exact: true }).fill('Consistency bench');
  await pickCharacter(page, NAMES[0] as string);
  await page.getByRole('button', { name: 'Add to panel' }).click();
  await page.getByRole('button', { name: 'Save story' }).click();
  await page.waitForURL(/#\/story\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop() as string;
}

async function generateOnce(
  page: Page,
  seed: number,
): Promise<{ backend: string | null; totalMs: number; ortMs: number }> {
  const facts = page.getByTestId('generate-facts');
  await page.getByLabel('Seed', { exact: true }).fill(String(seed));
  await page.getByLabel('Seed', { exact: true }).dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.getByText(`(seed ${seed})`).first().waitFor({ timeout: 600_000 });
  return {
    backend: await facts.getAttribute('data-backend'),
    totalMs: Number(await facts.getAttribute('data-total-ms')),
    ortMs: Number(await facts.getAttribute('data-ort-ms')),
  };
}

/**
 * Where the latest stored attempt's time went (its stage timings). On WebGPU these are mostly the
 * times to submit work: the GPU's time lands where something waits for it (a preview's readback,
 * the final pixels), so a stage that reads nothing back looks cheap.
 */
async function lastBreakdown(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      const r = db.transaction('attempts').objectStore('attempts').getAll();
      r.onsuccess = () => resolve(r.result as Record<string, unknown>[]);
      r.onerror = () => reject(r.error);
    });
    db.close();
    all.sort((a, b) => Number(a.createdAt) - Number(b.createdAt));
    const last = all.at(-1);
    const t = (last?.timings ?? {}) as Record<string, number>;
    // No named inner functions: tsx would wrap them in a helper the page does not have.
    const parts: string[] = [];
    for (const k of ['loadMs', 'encodeMs', 'vaeEncodeMs', 'denoiseMs', 'decodeMs', 'pasteMs'])
      if (t[k] !== undefined) parts.push(`${k.replace(/Ms$/, '')} ${Math.round(t[k])}`);
    return parts.join(', ');
  });
}

async function addCharacter(page: Page, name: string): Promise<void> {
  await pickCharacter(page, name);
  await page.getByRole('button', { name: 'Add to panel' }).click();
}

async function editOnce(
  page: Page,
  variation: number,
): Promise<{ totalMs: number; generateMs: number; ortMs: number; crop: string | null }> {
  // A 256×256 box: a quarter of the 512×512 picture, drawn on the mask canvas.
  const canvas = page.getByTestId('mask-canvas');
  await canvas.waitFor();
  await page.getByLabel('Box', { exact: true }).check();
  const box = (await canvas.boundingBox()) as { x: number; y: number; width: number; height: number };
  const at = (px: number, py: number) =>
    [box.x + ((px + 0.5) / 512) * box.width, box.y + ((py + 0.5) / 512) * box.height] as const;
  await page.mouse.move(...at(128, 128));
  await page.mouse.down();
  await page.mouse.move(...at(256, 256));
  await page.mouse.move(...at(383, 383));
  await page.mouse.up();
  const drawn = await canvas.getAttribute('data-mask-box');
  if (drawn !== '128,128,256,256')
    throw new Error(`The bench box came out as ${drawn}, not 128,128,256,256.`);
  await page.getByLabel('Edit variation').fill(String(variation));
  await page.getByLabel('Edit variation').dispatchEvent('change');
  await page.getByRole('button', { name: 'Edit this region' }).click();
  await page.getByText(`(seed ${variation})`).first().waitFor({ timeout: 600_000 });
  const facts = page.getByTestId('edit-facts');
  return {
    totalMs: Number(await facts.getAttribute('data-total-ms')),
    generateMs: Number(await facts.getAttribute('data-generate-ms')),
    ortMs: Number(await facts.getAttribute('data-ort-ms')),
    crop: await facts.getAttribute('data-crop'),
  };
}

export async function measureConsistency(
  browser: BrowserContext,
  baseUrl: string,
  options: { runs?: number; log?: (line: string) => void } = {},
): Promise<ConsistencyFigures> {
  const log = options.log ?? (() => {});
  const runs = options.runs ?? 3;
  const page = await browser.newPage();
  try {
    const storyId = await setUp(page, baseUrl);
    await reopen(page, `${baseUrl}/#/story/${storyId}`, { ...TINY, unetPack: 'bench', judgeOff: true });
    // Cycles of 1, 2 and 3 characters and a local edit, interleaved so that each cycle's ratios see
    // the same machine load (the figures are medians of per-cycle ratios); the first cycle is cold.
    const cycles: { one: number; edit: number; two: number; three: number }[] = [];
    for (let cycle = 0; cycle <= runs; cycle++) {
      const seed = 10 * (cycle + 1);
      const first = await generateOnce(page, seed);
      if (first.backend !== 'webgpu') throw new Error(`The engine ran on ${first.backend}, not WebGPU.`);
      const firstParts = await lastBreakdown(page);
      // The local edit: strength 1 runs every step, as the full generation does.
      await page.getByLabel('Edit strength').fill('1');
      const edit = await editOnce(page, 100 + cycle);
      const editParts = await lastBreakdown(page);
      await addCharacter(page, NAMES[1] as string);
      const two = (await generateOnce(page, seed + 1)).totalMs;
      await addCharacter(page, NAMES[2] as string);
      const three = (await generateOnce(page, seed + 2)).totalMs;
      for (const name of NAMES.slice(1))
        await page.getByRole('button', { name: `Remove ${name} from panel 1` }).click();
      const line =
        `one ${first.totalMs.toFixed(0)} ms (ORT ${first.ortMs.toFixed(0)}), ` +
        `edit ${edit.totalMs.toFixed(0)} ms (generate ${edit.generateMs.toFixed(0)}, ORT ${edit.ortMs.toFixed(0)}, crop ${edit.crop}), ` +
        `two ${two.toFixed(0)} ms, three ${three.toFixed(0)} ms`;
      log(`  consistency ${cycle === 0 ? 'cold' : `cycle ${cycle}`}: ${line}`);
      log(`    one: ${firstParts}`);
      log(`    edit: ${editParts}`);
      if (cycle > 0) cycles.push({ one: first.totalMs, edit: edit.totalMs, two, three });
    }
    const m = (f: (c: (typeof cycles)[number]) => number) => median(cycles.map(f));
    return {
      localEditCostRatio: Number(m((c) => c.edit / c.one).toFixed(3)),
      regionalCostPerRegion: Number(m((c) => (c.three - c.one) / 2 / c.one).toFixed(3)),
      oneRegionMs: Math.round(m((c) => c.one)),
      twoRegionMs: Math.round(m((c) => c.two)),
      threeRegionMs: Math.round(m((c) => c.three)),
      localEditMs: Math.round(m((c) => c.edit)),
    };
  } finally {
    await page.close();
  }
}

export const consistencyBench: Measure = {
  name: 'consistency',
  // A fresh profile: this measure creates characters and a story, which must not enter the seeded library.
  run: async (ctx: BenchContext) => {
    const fresh = await launchFreshBrowser();
    try {
      return await measureConsistency(fresh.context, ctx.baseUrl, {
        runs: Math.min(ctx.runs, 3),
        log: ctx.log,
      });
    } finally {
      await fresh.close();
    }
  },
};
