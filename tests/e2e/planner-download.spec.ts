/**
 * The planner's first download. The tiny pack is installed from the Hub's routes (not served by our
 * origin), so an install brings drawing and judging but not the planner: the plan form says what is
 * missing and offers "Download the planner (size)"; until then the template plans, with a note; the
 * download shows its bar, survives a dropped connection (Resume continues with Range), and then the
 * planner twin writes the plan (cards flagged "model"). The install's files stay verified throughout:
 * the verified record in OPFS is read back before and after. Real Chromium, OPFS, workers, ORT (WASM).
 */
import type { Page } from '@playwright/test';
import { formatBytes } from '../../src/lib/models/progress';
import { createCharacter } from './helpers/library';
import { readPackJson, serveHub } from './helpers/hub-routes';
import { expect, test } from './helpers/studio';

const pack = readPackJson('tiny-pack');
const planner = pack.components.find((c) => c.role === 'planner-llm');
if (!planner) throw new Error('the tiny pack has no planner');
const plannerLabels = planner.files.map((f) => `${planner.id}/${f.path}`);
const plannerBytes = planner.files.reduce((n, f) => n + f.bytes, 0);
const PLANNER_MODEL = `${planner.id}/onnx/model.onnx`;
const PREMISE =
  'Mira finds a map in the attic. Bo wants to sail at once. A storm closes in over the harbour. They reach the lighthouse at dawn.';

// Not active, not served: the pack is installed for real. The planner runs on WASM (a step of the
// twin costs seconds on SwiftShader's WebGPU).
test.use({ hooks: { testPacks: true, judgeOff: true, backend: 'wasm' } });

/** The pack's verified record in OPFS: label → size. */
async function verifiedRecord(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('storyloom-models');
    const tiny = await root.getDirectoryHandle('tiny');
    const json = JSON.parse(await (await (await tiny.getFileHandle('verified.json')).getFile()).text()) as {
      files: Record<string, { size: number }>;
    };
    return Object.fromEntries(Object.entries(json.files).map(([k, v]) => [k, v.size]));
  });
}

/** A new story and the plan form; the cast is added once (the form keeps it for the next plan). */
async function openPlanForm(page: Page, addCast = true) {
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('The lighthouse map');
  await page.getByTestId('plan-open').click();
  await page.getByLabel('Premise to plan from').fill(PREMISE);
  for (const name of addCast ? ['Mira', 'Bo'] : []) {
    await page.getByLabel('Add to the cast').fill(name);
    await page.getByRole('option', { name, exact: true }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
  }
  await expect(page.getByTestId('plan-cast').getByRole('listitem')).toHaveText([/Mira/, /Bo/]);
  await page.getByLabel('Number of panels').fill('2');
}

test('the plan form downloads the planner: template first, then the model writes the plan', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const hub = await serveHub(page, pack);

  // Install from the Hub: drawing and judging, no planner file asked for.
  await page.goto('/#/models');
  const card = page.getByTestId('pack-tiny');
  await card.getByTestId('download').click();
  await expect(card.getByTestId('pack-status')).toHaveText('Installed', { timeout: 60_000 });
  expect(hub.log.some((r) => r.label.startsWith(`${planner.id}/`))).toBe(false);
  const installRecord = await verifiedRecord(page);
  expect(Object.keys(installRecord).length).toBeGreaterThan(5);
  for (const label of plannerLabels) expect(installRecord[label]).toBeUndefined();
  // The pack's card offers the planner too.
  await expect(card.getByTestId('planner-line')).toContainText('Planner: not downloaded');
  await expect(card.getByTestId('planner-download')).toHaveText(`Download (${formatBytes(plannerBytes)})`);

  await createCharacter(page, 'Mira', 1, 'red');
  await createCharacter(page, 'Bo', 2, 'black');

  // The form says what is missing and offers the download with its size.
  await openPlanForm(page);
  await expect(page.getByTestId('planner-missing')).toContainText(
    `${plannerLabels.length} of ${plannerLabels.length} planner files of ${pack.title} are not downloaded`,
  );
  const button = page.getByTestId('planner-download-button');
  await expect(button).toHaveText(`Download the planner (${formatBytes(plannerBytes)})`);

  // Until it is downloaded, the template plans, and the note says the download gives a better plan.
  await page.getByTestId('plan-submit').click();
  await expect(page.locator('[data-testid="planned-flag"][data-source="template"]')).toHaveCount(2);
  await expect(page.getByTestId('plan-note')).toContainText('from the template');
  await expect(page.getByTestId('plan-note')).toContainText('for a better plan');

  // The first try loses its connection halfway through the model: the bytes stay, Resume continues.
  const model = [...hub.files.values()].find((f) => f.label === PLANNER_MODEL);
  if (!model) throw new Error('no planner model file');
  hub.faults.cutOnce.set(PLANNER_MODEL, Math.floor(model.size / 2));
  hub.faults.delayMs = 300;
  await openPlanForm(page, false);
  await button.click();
  await expect(page.getByTestId('planner-pause')).toBeVisible();
  await expect(page.getByTestId('planner-progress')).toBeVisible();
  await expect(page.getByTestId('planner-download-message')).toContainText(
    `connection dropped while downloading ${PLANNER_MODEL}`,
    { timeout: 30_000 },
  );
  await expect(button).toHaveText(`Resume the planner download (${formatBytes(plannerBytes)})`);
  await expect(page.getByTestId('planner-missing')).toContainText(
    `1 of ${plannerLabels.length} planner files`,
  );
  // The interrupted planner never touched the install.
  expect(await verifiedRecord(page)).toMatchObject(installRecord);

  await button.click();
  await expect(page.getByTestId('planner-download-message')).toContainText(
    'is downloaded and verified: plans now come from the model',
    { timeout: 30_000 },
  );
  await expect(page.getByTestId('planner-download')).toHaveCount(0);
  const resumed = hub.log.filter((r) => r.label === PLANNER_MODEL);
  expect(resumed.map((r) => r.status)).toEqual([200, 206]);
  expect(resumed[1]?.range).toBe(`bytes=${Math.floor(model.size / 2)}-`);

  // Both sets of files are in the verified record: the install's exactly as they were.
  const after = await verifiedRecord(page);
  expect(after).toMatchObject(installRecord);
  for (const label of plannerLabels) expect(after[label]).toBeGreaterThan(0);

  // Now the planner twin writes the plan.
  await page.getByTestId('plan-submit').click();
  await expect(page.getByTestId('plan-running')).toBeVisible();
  await expect(page.locator('[data-testid="planned-flag"][data-source="model"]')).toHaveCount(2, {
    timeout: 180_000,
  });
  await expect(page.getByTestId('plan-running')).toBeHidden();
  await expect(page.getByTestId('plan-error')).toHaveCount(0);
  await expect(page.getByTestId('plan-note')).toHaveCount(0);

  // The pack is still installed for drawing; a reload finds both sets verified.
  await page.goto('/#/models');
  await expect(card.getByTestId('pack-status')).toHaveText('Installed');
  await page.reload();
  await expect(card.getByTestId('pack-status')).toHaveText('Installed');
  await expect(card.getByTestId('planner-line')).toHaveText('Planner: downloaded');
  expect(await verifiedRecord(page)).toEqual(after);
  expect(errors).toEqual([]);
});
