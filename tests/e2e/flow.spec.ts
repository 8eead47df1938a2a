/**
 * One attempt flow, one status machine, one error model, fair use of the engine — each test is a
 * symptom an artist met, now fixed, on the tiny pack with the real engine worker:
 *   - an accepted panel is not run again by Run story;
 *   - a brush edit is judged and repaints the attempt the artist chose (not the latest);
 *   - a cancelled run reads "cancelled", and its bar is not full;
 *   - a manual Generate during a paused run completes;
 *   - a GPU device lost in the real worker shows a device sentence, the worker is respawned and
 *     the run goes on.
 */
import type { Page } from '@playwright/test';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { expect, reopen, test } from './helpers/studio';

interface Stored {
  id: string;
  panelId: string;
  storyId: string;
  index: number;
  imageId: string | null;
  parameters: { mode: string };
  report: { verdict: string } | null;
}

/** Every stored attempt of the story, with whether its image is stored (a torn write would show). */
async function attempts(page: Page, storyId: string): Promise<(Stored & { hasImage: boolean })[]> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const get = <T>(store: string, all: 'getAll' | 'getAllKeys') =>
      new Promise<T>((resolve, reject) => {
        const r = db.transaction(store).objectStore(store)[all]();
        r.onsuccess = () => resolve(r.result as T);
        r.onerror = () => reject(r.error);
      });
    const list = await get<Stored[]>('attempts', 'getAll');
    const images = new Set(await get<string[]>('images', 'getAllKeys'));
    db.close();
    return list
      .filter((a) => a.storyId === id)
      .map((a) => ({ ...a, hasImage: !!a.imageId && images.has(a.imageId) }))
      .sort((a, b) => a.panelId.localeCompare(b.panelId) || a.index - b.index);
  }, storyId);
}

async function generate(page: Page, seed: number) {
  await page.getByLabel('Seed').fill(String(seed));
  await page.getByLabel('Seed').dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generate-status')).toContainText(`seed ${seed}`, { timeout: 120_000 });
}

/** Pixels of a stored image (decoded in the page). */
async function pixels(page: Page, imageId: string): Promise<number[]> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const record = await new Promise<{ blob: Blob }>((resolve, reject) => {
      const r = db.transaction('images').objectStore('images').get(id);
      r.onsuccess = () => resolve(r.result as { blob: Blob });
      r.onerror = () => reject(r.error);
    });
    db.close();
    const bitmap = await createImageBitmap(record.blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    return Array.from(context.getImageData(0, 0, bitmap.width, bitmap.height).data);
  }, imageId);
}

test.use({ hooks: { testPacks: true, activePack: 'tiny', servedTestPacks: true, backend: 'wasm' } });

test('an accepted panel is not run again by Run story; a brush edit is judged and repaints the chosen attempt', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Harbour', [['Mira'], ['Mira']]);
  await page.goto(`/#/story/${storyId}`);
  // Saving leaves the last added panel selected: choose panel 1.
  await page.getByTestId('panel-item').first().getByRole('button').first().click();

  // Two manual attempts of panel 1; the artist accepts the first one in the judge.
  await generate(page, 11);
  await generate(page, 12);
  const made = await attempts(page, storyId);
  expect(made.map((a) => [a.index, a.parameters.mode, a.report !== null, a.hasImage])).toEqual([
    [0, 'txt2img', true, true],
    [1, 'txt2img', true, true],
  ]);
  const [first, second] = made as unknown as [Stored, Stored];
  await page.getByLabel('Judged attempt').selectOption(first.id);
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(page.getByTestId('judge-decision')).toHaveAttribute('data-decision', 'accept');
  const badge = page.getByTestId('panel-item').first().getByTestId('panel-status');
  await expect(badge).toHaveAttribute('data-status', 'accepted');

  // The artist brushes over attempt 1 (not the latest, attempt 2): the edit repaints attempt 1.
  const timeline = page.getByTestId('attempt-timeline');
  await timeline
    .locator(`[data-testid="timeline-attempt"][data-attempt-id="${first.id}"]`)
    .getByRole('button', { name: 'Edit with the brush' })
    .click();
  await expect(page.getByTestId('edit-base')).toHaveAttribute('data-attempt-id', first.id);
  const brush = page.getByTestId('mask-canvas');
  // The mouse works in the viewport: bring the canvas into it first.
  await brush.scrollIntoViewIfNeeded();
  const box = (await brush.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.7);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.85, box.y + box.height * 0.85, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByRole('button', { name: 'Edit this region' })).toBeEnabled({ timeout: 5_000 });
  await page.getByRole('button', { name: 'Edit this region' }).click();
  await expect(page.getByTestId('edit-status')).toContainText('Edit of attempt 1 saved as attempt 3', {
    timeout: 120_000,
  });
  const edited = (await attempts(page, storyId)).find((a) => a.index === 2)!;
  expect(edited.parameters.mode).toBe('edit');
  // The edit was judged like any attempt.
  expect(edited.report).not.toBeNull();
  // Pixels far from the stroke are attempt 1's, not attempt 2's.
  const [base, latest, result] = await Promise.all([
    pixels(page, first.imageId!),
    pixels(page, second.imageId!),
    pixels(page, edited.imageId!),
  ]);
  const corner = (p: number[]) => p.slice(0, 64 * 4);
  expect(corner(result)).toEqual(corner(base));
  expect(corner(result)).not.toEqual(corner(latest));
  // A judged edit of an accepted panel does not undo the artist's accept.
  await expect(badge).toHaveAttribute('data-status', 'accepted');

  // Run story: the accepted panel is left alone; only panel 2 gets attempts.
  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Run seed').fill('5');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-total', '1');
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  const after = await attempts(page, storyId);
  expect(after.filter((a) => a.panelId === first.panelId)).toHaveLength(3);
  expect(after.filter((a) => a.panelId !== first.panelId).length).toBeGreaterThan(0);
  for (const a of after) expect(a.hasImage, a.id).toBe(true);
  await page.reload();
  await expect(page.getByTestId('run-panel').first()).toBeVisible();
  await page.goto(`/#/story/${storyId}`);
  await expect(page.getByTestId('panel-item').first().getByTestId('panel-status')).toHaveAttribute(
    'data-status',
    'accepted',
  );

  // Only when the artist asks does a run include the accepted panel.
  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Include the panels I accepted or overrode').check();
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-total', '2');
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'cancelled', { timeout: 120_000 });
  expect(errors).toEqual([]);
});

test('a cancelled run reads cancelled; a manual Generate during a paused run completes', async ({ page }) => {
  test.setTimeout(600_000);
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Ferry', [['Mira'], ['Mira'], ['Mira']]);
  // Slow steps, so the run can be caught between attempts.
  await reopen(page, `/#/run/${storyId}`, { engineStepDelayMs: 400 });
  await page.getByLabel('Run seed').fill('9');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', {
    timeout: 120_000,
  });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'paused');
  // The attempt under way finishes; then nothing, however long: a run that ignored Pause would
  // make an attempt every ~2 s (4 steps × 400 ms + judge).
  const settled = async () => (await attempts(page, storyId)).length;
  await expect.poll(settled, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await page.waitForTimeout(1_000);
  const paused = await settled();
  await page.waitForTimeout(5_000);
  expect(await settled()).toBe(paused);

  // A manual Generate on panel 3 while the run is paused: it does not wait for the run.
  await page.goto(`/#/story/${storyId}`);
  await page.getByTestId('panel-item').nth(2).getByRole('button').first().click();
  await generate(page, 77);
  const manual = (await attempts(page, storyId)).filter((a) => a.parameters.mode === 'txt2img');
  expect(manual.length).toBe(paused + 1);

  // Cancel: the status says so, and the bar shows what was really done.
  await page.goto(`/#/run/${storyId}`);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'running');
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('run-status')).toContainText('cancelled');
  await expect(page.getByTestId('run-status')).not.toContainText('finished');
  const progress = page.getByTestId('run-progress');
  expect(Number(await progress.getAttribute('data-done'))).toBeLessThan(
    Number(await progress.getAttribute('data-total')),
  );
  for (const a of await attempts(page, storyId)) expect(a.hasImage, a.id).toBe(true);
});

test.describe('on WebGPU', () => {
  test.use({ hooks: { testPacks: true, activePack: 'tiny', servedTestPacks: true, testDeviceLoss: true } });

  test('a GPU device lost in the real worker: a device sentence, a fresh worker, and the run goes on', async ({
    page,
  }) => {
    test.setTimeout(600_000);
    await createCharacter(page, 'Mira', 3);
    // WebGPU on SwiftShader is slow: two short panels, two attempts at most each.
    await setBudget(page, 2, 2);
    const storyId = await createStory(page, 'Lighthouse', [['Mira'], ['Mira']]);
    await page.goto(`/#/run/${storyId}`);
    await page.getByLabel('Run seed').fill('3');
    await page.getByRole('button', { name: 'Run story' }).click();
    await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', /denoising|judging/, {
      timeout: 120_000,
    });
    await page.evaluate(async () => {
      const controls = (
        globalThis as unknown as { __STORYLOOM_TEST_CONTROLS__: { loseDevice(): Promise<void> } }
      ).__STORYLOOM_TEST_CONTROLS__;
      await controls.loseDevice();
    });
    await expect(page.getByTestId('run-status')).toContainText('The GPU stopped working', {
      timeout: 120_000,
    });
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
    const stored = await attempts(page, storyId);
    expect(new Set(stored.map((a) => a.panelId)).size).toBe(2);
    for (const a of stored) expect(a.hasImage, a.id).toBe(true);
    await expect(page.getByTestId('run-status')).toContainText('Run finished');
  });
});
