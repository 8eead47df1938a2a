/**
 * The engine lost in the middle of a quality-gate run, in the real worker on the tiny pack: the GPU
 * device destroyed through the test hooks (WebGPU on SwiftShader), and the worker dying on its own
 * (self.close(), which fires no event, and an uncaught error) on WASM. A loss is retried once on a
 * fresh worker with one sentence to the artist and the run finishes; a second loss in the same
 * attempt pauses the run with a sentence, stored as paused, and the artist's Resume finishes it.
 * Read back through IndexedDB: every attempt has its image, indexes 0..n-1 per panel, none twice.
 */
import type { Page } from '@playwright/test';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { wholeAttempts } from './helpers/attempts';
import { readStores } from './helpers/profile';
import { expect, test, TINY } from './helpers/studio';

interface Controls {
  loseDevice(): Promise<void>;
  crashEngine(how: 'close' | 'throw'): Promise<void>;
  engineSpawns(): Promise<number>;
}

const control = <K extends keyof Controls>(page: Page, name: K, ...args: Parameters<Controls[K]>) =>
  page.evaluate(
    ([n, a]) => {
      const controls = (globalThis as unknown as { __STORYLOOM_TEST_CONTROLS__: Record<string, unknown> })
        .__STORYLOOM_TEST_CONTROLS__;
      return (controls[n] as (...x: unknown[]) => Promise<unknown>)(...a);
    },
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<Controls[K]>>>;

const storedAttempts = (page: Page, storyId: string) => wholeAttempts(page, storyId);

async function storedRunState(page: Page, storyId: string): Promise<string | undefined> {
  const meta = (await readStores(page, ['meta'] as const)).meta;
  return (meta.find((m) => m.key === `gate-run:${storyId}`)?.value as { state?: string } | undefined)?.state;
}

async function startRun(page: Page, storyId: string): Promise<void> {
  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Run seed').fill('11');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'running');
}

/** Wait until the run's current attempt is denoising (the engine holds its device then). */
const denoising = (page: Page) =>
  expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', { timeout: 240_000 });

const RETRY_DEVICE =
  'The GPU stopped working; the engine was restarted on a fresh device and the attempt is being retried.';
const RETRY_CRASH = 'The engine stopped unexpectedly; it was restarted and the attempt is being retried.';

test.describe('the GPU device lost (WebGPU)', () => {
  // Slowed steps, so that a second loss lands inside the retried attempt.
  test.use({ hooks: { ...TINY, testDeviceLoss: true, engineStepDelayMs: 3000 } });

  test('lost once: the attempt is retried on a fresh worker with one sentence and the run finishes', async ({
    page,
  }) => {
    test.setTimeout(600_000);
    await createCharacter(page, 'Mira', 3);
    await setBudget(page, 2, 1);
    const storyId = await createStory(page, 'Lamp', [['Mira']]);
    await startRun(page, storyId);
    await denoising(page);
    expect(await control(page, 'engineSpawns')).toBe(1);
    await control(page, 'loseDevice');
    await expect(page.getByTestId('run-status')).toHaveText(RETRY_DEVICE, { timeout: 120_000 });
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
    await expect(page.getByTestId('run-status')).toContainText('Run finished: ');
    expect(await control(page, 'engineSpawns')).toBe(2);
    const attempts = await storedAttempts(page, storyId);
    expect(attempts.map((a) => a.index)).toEqual([0]);
    expect(await storedRunState(page, storyId)).toBe('done');
  });

  test('lost twice in the same attempt: the run pauses with a sentence, nothing half-stored, Resume finishes it', async ({
    page,
  }) => {
    test.setTimeout(900_000);
    await createCharacter(page, 'Mira', 3);
    await setBudget(page, 2, 1);
    const storyId = await createStory(page, 'Lamp', [['Mira']]);
    await startRun(page, storyId);
    await denoising(page);
    await control(page, 'loseDevice');
    await expect(page.getByTestId('run-status')).toHaveText(RETRY_DEVICE, { timeout: 120_000 });
    // The fresh worker draws the same attempt again; it loses its device before storing it.
    await denoising(page);
    expect(await storedAttempts(page, storyId)).toHaveLength(0);
    await control(page, 'loseDevice');
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'paused', { timeout: 120_000 });
    await expect(page.getByTestId('run-status')).toHaveText(
      'The GPU stopped working twice during the same attempt, so the run is paused; everything drawn so far is kept — press Resume to go on.',
    );
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-active', 'false');
    expect(await storedRunState(page, storyId)).toBe('paused');
    expect(await storedAttempts(page, storyId)).toHaveLength(0);
    // Paused it stays, across a reload too: the artist decides when to go on.
    await page.reload();
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'paused');
    expect(await storedRunState(page, storyId)).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
    await expect(page.getByTestId('run-status')).toContainText('Run finished: ');
    expect((await storedAttempts(page, storyId)).map((a) => a.index)).toEqual([0]);
    expect(await storedRunState(page, storyId)).toBe('done');
  });
});

test.describe('the engine worker crashes (WASM)', () => {
  test.use({ hooks: { ...TINY, backend: 'wasm', testEngineCrash: true, engineStepDelayMs: 1500 } });

  test('a worker that closes itself, then one that throws: each retried once, the run finishes', async ({
    page,
  }) => {
    test.setTimeout(600_000);
    await createCharacter(page, 'Mira', 3);
    await setBudget(page, 2, 1);
    const storyId = await createStory(page, 'Lamp', [['Mira'], ['Mira']]);
    await startRun(page, storyId);
    await denoising(page);
    // self.close(): the worker fires no event; its life lock tells the page, which rejects the run's call.
    await control(page, 'crashEngine', 'close');
    await expect(page.getByTestId('run-status')).toHaveText(RETRY_CRASH, { timeout: 120_000 });
    // Once the retried attempt is stored, a new loss is a new attempt's first: retried again.
    await expect.poll(async () => (await storedAttempts(page, storyId)).length, { timeout: 240_000 }).toBe(1);
    await denoising(page);
    await control(page, 'crashEngine', 'throw');
    await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
    await expect(page.getByTestId('run-status')).toContainText('Run finished: ');
    expect(await control(page, 'engineSpawns')).toBe(3);
    const attempts = await storedAttempts(page, storyId);
    expect(attempts).toHaveLength(2);
    expect(new Set(attempts.map((a) => a.panelId)).size).toBe(2);
    expect(await storedRunState(page, storyId)).toBe('done');
  });
});
