/**
 * A new artist and the real default pack — its replica: the forge's copy of models/default-pack.json
 * with the same repositories, revisions, paths, variants and contracts and tiny weights, served at
 * the Hub's URL layout. The studio is started with the replica's manifest in place of the default
 * one (a test hook) and nothing else: no test pack, nothing served from our origin, nothing active.
 * On SwiftShader (no shader-f16) the SD graphs are widened to fp32 at install and drawn on WebGPU;
 * the judge runs on the CPU in 8 bits. Everything is read from OPFS; after the install no request
 * leaves the origin; a reload with the network off still draws.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { validatePack, type Pack } from '../../src/lib/models/manifest';
import { REPO_ROOT, replicaFile, serveHub } from './helpers/hub-routes';
import { createCharacter, createStory } from './helpers/library';
import { expect, test } from './helpers/studio';

const replicaJson: unknown = JSON.parse(
  readFileSync(join(REPO_ROOT, 'public/models/replica/default-pack.json'), 'utf8'),
);
const replica: Pack = validatePack(replicaJson);
const replicaUnet = replica.components.find((c) => c.role === 'unet')!.scheduler!;

// The offline reload needs the studio's service worker (the app shell).
test.use({ hooks: { packs: [replicaJson] }, serviceWorkers: 'allow' });

const card = (page: Page) => page.getByTestId('pack-default');

/** Files under the pack's folder in OPFS, as `<component>/<path>`. */
async function opfsFiles(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const out: string[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
      for await (const [name, handle] of (
        dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
      ).entries()) {
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
        else out.push(`${prefix}${name}`);
      }
    };
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('storyloom-models');
    await walk(await (await root.getDirectoryHandle('default')).getDirectoryHandle('files'), '');
    return out.sort();
  });
}

async function generate(page: Page, seed: number) {
  await page.getByLabel('Seed').fill(String(seed));
  await page.getByLabel('Seed').dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generate-status')).toContainText(`seed ${seed}`, { timeout: 240_000 });
  await expect(page.getByTestId('generate-error')).toHaveCount(0);
}

test('a new artist installs the default pack (replica) and draws, judges and runs a two-character panel', async ({
  page,
  context,
}) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const hub = await serveHub(context, replica, replicaFile);

  // An empty studio says that no pack is installed and where to get one.
  await page.goto('/#/library');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await expect(page.getByTestId('library-pack')).toContainText('No model pack is installed yet');
  await createCharacter(page, 'Mira', 3);
  await createCharacter(page, 'Tomas', 11, 'black');
  const storyId = await createStory(page, 'Harbour friends', [['Mira', 'Tomas']]);

  // Generate and Run, before any install: one sentence and a link to Models; nothing was drawn.
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generate-error')).toContainText('No model pack is installed yet');
  await page.goto(`/#/run/${storyId}`);
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-error')).toContainText('No model pack is installed yet');
  await page.getByTestId('run-error').getByTestId('needs-models-link').click();
  await expect(page).toHaveURL(/#\/models$/);
  expect(hub.log).toEqual([]);

  // The first-run path: what each component is for, its size and licence, what this GPU runs.
  await expect(page.getByTestId('first-run')).toBeVisible();
  await expect(page.getByTestId('pack-tiny')).toHaveCount(0);
  await expect(card(page).getByTestId('widen-note')).toBeVisible();
  const rows = card(page).getByTestId('component-row');
  await expect(rows).toHaveCount(replica.components.length);
  await expect(
    card(page).locator('[data-component="unet"] [data-testid="component-precision"]'),
  ).toContainText('fp32, widened from fp16');
  await expect(
    card(page).locator('[data-component="detector"] [data-testid="component-precision"]'),
  ).toContainText('q8 on the CPU');
  await card(page).getByTestId('download').click();
  await expect(card(page).getByTestId('pack-status')).toHaveText(/^Installed/, { timeout: 180_000 });
  await expect(card(page).getByTestId('active-badge')).toBeVisible();
  await expect(page.getByTestId('first-run')).toHaveCount(0);

  // What is stored: the widened SD graphs (not their fp16 sources), the judge's 8-bit files, no planner.
  const stored = await opfsFiles(page);
  expect(stored).toContain('unet/unet/model.widened.onnx');
  expect(stored.some((f) => f.startsWith('unet/unet/model.widened.onnx_data_'))).toBe(true);
  expect(stored).not.toContain('unet/unet/model.onnx');
  expect(stored).toContain('detector/onnx/model_quantized.onnx');
  expect(stored).not.toContain('detector/onnx/model.onnx');
  expect(stored.some((f) => f.startsWith('planner-llm/'))).toBe(false);
  expect(stored.every((f) => !f.endsWith('.part'))).toBe(true);
  const fetched = new Set(hub.log.map((r) => r.label));
  expect(fetched.has('planner-llm/onnx/model_q4.onnx')).toBe(false);

  // From here on nothing leaves the origin: the models come from OPFS only.
  const origin = new URL(page.url()).origin;
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !/^(data|blob):/.test(r.url())) outside.push(r.url());
  });
  const before = hub.log.length;

  // The pack's own step count (scheduler.defaultSteps: SD-Turbo draws in one step) instead of the
  // studio's default of 4: every UNet step on SwiftShader costs seconds, and what this test checks —
  // the installed pack draws, judges and runs — does not depend on the number of steps. The gate
  // takes the panel through generate → judge → decide (two attempts at most: the gate's own
  // behaviour is gate.spec.ts's; here the point is that it runs on the installed pack).
  await page.goto('/#/settings');
  await page.getByLabel('Steps').fill(String(replicaUnet.defaultSteps));
  await page.getByLabel('Max attempts per panel').fill('2');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Settings saved.');

  await page.goto(`/#/story/${storyId}`);
  await generate(page, 2024);
  const facts = page.getByTestId('generate-facts');
  await expect(facts).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('judge-verdict')).toBeVisible({ timeout: 60_000 });

  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Run seed').fill('7');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 600_000 });
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-item-status', /accepted|needs-review/);

  // A reload with the network off still draws (app shell from the service worker, models from OPFS).
  await context.setOffline(true);
  await page.reload();
  await page.goto(`/#/story/${storyId}`);
  await generate(page, 99);
  await context.setOffline(false);

  expect(hub.log.length).toBe(before);
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
});

test('a 404 on a required file names it; a 404 on an optional one leaves the pack ready and says what is missing', async ({
  page,
  context,
}) => {
  test.setTimeout(300_000);
  const hub = await serveHub(context, replica, replicaFile);
  const required = 'text-encoder/text_encoder/model.onnx';
  const optional = 'preview-decoder/vae_decoder/model.onnx';
  hub.faults.missing.add(required);
  hub.faults.missing.add(optional);
  await page.goto('/#/models');
  await card(page).getByTestId('download').click();
  await expect(card(page).getByTestId('pack-status')).toHaveText('Failed', { timeout: 120_000 });
  await expect(card(page).getByTestId('pack-message')).toContainText(
    `${required} is not in its repository on the Hub (HTTP 404`,
  );
  await expect(card(page).getByTestId('active-badge')).toHaveCount(0);

  // The repository gets its file back; the optional one stays missing.
  hub.faults.missing.delete(required);
  await card(page).getByTestId('download').click();
  await expect(card(page).getByTestId('pack-status')).toHaveText('Installed without 1 optional file', {
    timeout: 120_000,
  });
  await expect(card(page).getByTestId('pack-message')).toContainText(
    `Left out, because the Hub does not have it: ${optional}`,
  );
  await expect(card(page).getByTestId('active-badge')).toBeVisible();
  await expect(card(page).locator(`[data-file="${optional}"]`)).toHaveAttribute('data-state', 'unavailable');
  // A reload still knows what was left out, and the pack stays ready.
  await page.reload();
  await expect(card(page).getByTestId('pack-status')).toHaveText('Installed without 1 optional file');
});
