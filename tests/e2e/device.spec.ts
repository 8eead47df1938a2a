/**
 * The engine lost under a run, in the real worker: its GPU device destroyed through the test hooks
 * (WebGPU), and the worker crashing with an uncaught error (WASM). An attempt cut short is drawn
 * again once on a fresh worker with one sentence to the artist; a second loss pauses the run with a
 * sentence, and nothing stored is lost or doubled — checked by reading the stores back.
 */
import type { Page } from '@playwright/test';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { expectStoresWhole, storedAttempts, storedRun } from './helpers/stores';
import { TINY, expect, reopen, test } from './helpers/studio';

type Control = 'loseDevice' | 'crashEngine';

/** Do to the real engine what a driver reset or a crash would (the testDeviceLoss hook allows it). */
async function hurt(page: Page, what: Control): Promise<void> {
  await page.evaluate(async (name) => {
    const controls = (globalThis as unknown as Record<string, Record<string, () => Promise<void>>>)
      .__STORYLOOM_TEST_CONTROLS__;
    await controls![name]!();
  }, what);
}

/** Start a run and wait until its first attempt is denoising. */
async function startRun(page: Page, storyId: string, seed: number): Promise<void> {
  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Run seed').fill(String(seed));
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', {
    timeout: 180_000,
  });
}

/**
 * Lose the engine twice under one attempt: the first loss is retried on a fresh worker (the bar
 * went away with the attempt and comes back denoising from that worker), the second pauses.
 */
async function loseTwice(page: Page, storyId: string, what: Control, sentence: RegExp): Promise<number> {
  const before = (await storedAttempts(page, storyId)).length;
  await hurt(page, what);
  const status = page.getByTestId('run-status');
  await expect(status).toContainText(sentence, { timeout: 120_000 });
  await expect(status).toContainText('drawn again on a fresh engine');
  await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', {
    timeout: 300_000,
  });
  await hurt(page, what);
  await expect(status).toContainText('the run is paused; every attempt stored so far is kept', {
    timeout: 120_000,
  });
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'paused');
  expect((await storedRun(page, storyId))?.state).toBe('paused');
  // Paused for good: no attempt is drawn behind the artist's back.
  const paused = (await storedAttempts(page, storyId)).length;
  expect(paused).toBeGreaterThanOrEqual(before);
  await expectStoresWhole(page, storyId);
  return paused;
}

test.describe('a worker crash, on WASM', () => {
  test.use({ hooks: { ...TINY, backend: 'wasm', testDeviceLoss: true, engineStepDelayMs: 700 } });

  test('a crash mid-attempt is drawn again once; a second crash pauses the run; Resume finishes it', async ({
    page,
  }) => {
    test.setTimeout(600_000);
    await createCharacter(page, 'Mira', 3);
    await setBudget(page, 4, 2);
    const storyId = await createStory(page, 'Harbour', [['Mira'], ['Mira']]);

    // One crash: the run goes on by itself and finishes.
    await startRun(page, storyId, 4);
    await hurt(page, 'crashEngine');
    const status = page.getByTestId('run-status');
    await expect(status).toContainText('The engine crashed', { timeout: 120_000 });
    await expect(status).toContainText('drawn again on a fresh engine');
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
    await expect(status).toContainText('Run finished');
    expect((await storedRun(page, storyId))?.state).toBe('done');
    await expectStoresWhole(page, storyId);

    // Two crashes under one attempt: paused with a sentence, then the artist resumes.
    await page.getByLabel('Include the panels I accepted or overrode').check();
    await startRun(page, storyId, 5);
    const paused = await loseTwice(page, storyId, 'crashEngine', /The engine crashed/);
    await page.waitForTimeout(3_000);
    expect((await storedAttempts(page, storyId)).length).toBe(paused);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
    await expectStoresWhole(page, storyId);
    expect((await storedRun(page, storyId))?.items.every((i) => i.attempts > 0)).toBe(true);
  });

  test('a manual Generate whose worker crashes is drawn again once, with a sentence', async ({ page }) => {
    test.setTimeout(300_000);
    await createCharacter(page, 'Mira', 3);
    await setBudget(page, 4, 2);
    const storyId = await createStory(page, 'Quay', [['Mira']]);
    await reopen(page, `/#/story/${storyId}`);
    await page.getByTestId('panel-item').first().getByRole('button').first().click();
    await page.getByLabel('Seed').fill('21');
    await page.getByLabel('Seed').dispatchEvent('change');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect(page.getByTestId('generate-step')).toHaveText('Step 1 of 4', { timeout: 120_000 });
    await hurt(page, 'crashEngine');
    const status = page.getByTestId('generate-status');
    await expect(status).toContainText('The engine crashed', { timeout: 120_000 });
    await expect(status).toContainText('The attempt is being drawn again.');
    await expect(status).toContainText('Attempt 1 saved (seed 21).', { timeout: 120_000 });
    const attempts = await storedAttempts(page, storyId);
    expect(attempts.map((a) => [a.index, a.hasImage])).toEqual([[0, true]]);
  });
});

test.describe('a GPU device lost, on WebGPU', () => {
  test.use({ hooks: { ...TINY, testDeviceLoss: true } });

  test('a lost device is drawn again once on a fresh device; lost again, the run pauses; Resume finishes it', async ({
    page,
  }) => {
    test.setTimeout(900_000);
    await createCharacter(page, 'Mira', 3);
    // WebGPU on SwiftShader is slow: two short panels, two attempts at most each.
    await setBudget(page, 2, 2);
    const storyId = await createStory(page, 'Lighthouse', [['Mira'], ['Mira']]);
    await startRun(page, storyId, 3);
    await loseTwice(page, storyId, 'loseDevice', /The GPU stopped working/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 600_000 });
    await expect(page.getByTestId('run-status')).toContainText('Run finished');
    const stored = await storedAttempts(page, storyId);
    expect(new Set(stored.map((a) => a.panelId)).size).toBe(2);
    await expectStoresWhole(page, storyId);
  });
});
