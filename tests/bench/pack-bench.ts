/**
 * Figures of the real default pack, from its manifest (no weights can be downloaded here), and the
 * replica's install-to-first-panel time through the real studio.
 *
 *   defaultPackBytes        what an install downloads: { f16, noF16, wasm } (the planner comes later)
 *   peakResidentModelBytes  per capability set and stage (draw, judge, plan): model bytes resident
 *                           while the stage runs, on the GPU and in the wasm heap (memory.ts)
 *   replicaFirstPanelMs     a fresh browser: Install of the replica (Hub routed to the forged files),
 *                           widening included, then Generate until the two-character panel is judged
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { validatePack, type Pack } from '../../src/lib/models/manifest';
import { memoryReport } from '../../src/lib/models/memory';
import {
  downloadBytes,
  INSTALL_FEATURES,
  planPack,
  preferredDevices,
  type PlanCaps,
} from '../../src/lib/models/plan';
import { REPO_ROOT, replicaFile, serveHub } from '../e2e/helpers/hub-routes';
import { addHooks } from '../e2e/helpers/hooks';
import { makePng } from '../e2e/helpers/png';
import { launchFreshBrowser } from './browser';
import type { BenchContext, Figures, Measure } from './measure';
import { pickCharacter } from '../e2e/helpers/cast';

const CAPS: Record<string, PlanCaps> = {
  f16: { backend: 'webgpu', features: ['shader-f16'] },
  noF16: { backend: 'webgpu', features: [] },
  wasm: { backend: 'wasm', features: [] },
};

const readPack = (path: string): Pack =>
  validatePack(JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')));

export function manifestFigures(pack: Pack) {
  const defaultPackBytes: Record<string, number> = {};
  const peakResidentModelBytes: Record<string, Record<string, { gpu: number; heap: number }>> = {};
  for (const [name, caps] of Object.entries(CAPS)) {
    const input = { caps, devices: preferredDevices(caps) };
    defaultPackBytes[name] = downloadBytes(planPack(pack, { ...input, features: INSTALL_FEATURES }));
    peakResidentModelBytes[name] = Object.fromEntries(
      memoryReport(pack, input).stages.map((s) => [s.stage, { gpu: s.peakGpuBytes, heap: s.peakHeapBytes }]),
    );
  }
  return { defaultPackBytes, peakResidentModelBytes };
}

async function character(page: Page, baseUrl: string, name: string, seed: number) {
  await page.goto(`${baseUrl}/#/character/new`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page
    .getByLabel('Add reference images')
    .setInputFiles({ name: `${name}.png`, mimeType: 'image/png', buffer: makePng(48, 64, seed) });
  await page.getByTestId('template-image').first().waitFor();
  await page.getByLabel('Verified template').check();
  await page.getByRole('button', { name: 'Save character' }).click();
  await page.getByTestId('form-status').waitFor();
}

async function replicaFirstPanel(baseUrl: string, log: (line: string) => void): Promise<number> {
  const fresh = await launchFreshBrowser();
  try {
    const replicaJson: unknown = JSON.parse(
      readFileSync(join(REPO_ROOT, 'public/models/replica/default-pack.json'), 'utf8'),
    );
    await addHooks(fresh.context, { packs: [replicaJson] });
    await serveHub(fresh.context, validatePack(replicaJson), replicaFile);
    const page = await fresh.context.newPage();
    await character(page, baseUrl, 'Mira', 3);
    await character(page, baseUrl, 'Tomas', 11);
    await page.goto(`${baseUrl}/#/story/new`);
    await page.getByLabel('Title', { exact: true }).fill('Replica bench');
    for (const name of ['Mira', 'Tomas']) {
      await pickCharacter(page, name);
      await page.getByRole('button', { name: 'Add to panel' }).click();
    }
    await page.getByRole('button', { name: 'Save story' }).click();
    await page.waitForURL(/#\/story\/[0-9a-f-]{36}$/);
    const storyUrl = page.url();
    await page.goto(`${baseUrl}/#/models`);
    const started = Date.now();
    await page.getByTestId('pack-default').getByTestId('download').click();
    await page
      .getByTestId('pack-default')
      .getByTestId('pack-status')
      .getByText(/^Installed/)
      .waitFor({ timeout: 600_000 });
    const installed = Date.now() - started;
    await page.goto(storyUrl);
    await page.getByLabel('Seed').fill('1');
    await page.getByLabel('Seed').dispatchEvent('change');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByText('seed 1)').waitFor({ timeout: 600_000 });
    await page.getByTestId('judge-verdict').waitFor({ timeout: 600_000 });
    const total = Date.now() - started;
    log(`  replica: installed in ${installed} ms, first judged panel ${total} ms after Install`);
    return total;
  } finally {
    await fresh.close();
  }
}

/** The pack figures: the manifest's, then the replica's install-to-first-panel time in a fresh browser. */
export async function packFigures(baseUrl: string, log: (line: string) => void): Promise<Figures> {
  const figures = manifestFigures(readPack('models/default-pack.json'));
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
  for (const [name, bytes] of Object.entries(figures.defaultPackBytes))
    log(`  default pack, ${name}: downloads ${gib(bytes)}`);
  return { ...figures, replicaFirstPanelMs: await replicaFirstPanel(baseUrl, log) };
}

export const packBench: Measure = {
  name: 'packs',
  run: (ctx: BenchContext) => packFigures(ctx.baseUrl, ctx.log),
};
