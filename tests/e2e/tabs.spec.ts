/**
 * Two tabs of one studio (one browser context: same origin, one IndexedDB): a run in the first,
 * edits in the second. The second tab waits on the run lock; when the first tab closes mid-run the
 * second takes the run over from its record, once — never two runs of one story — and the edits
 * made in the second tab are kept. Checked by reading the stores and the Web Locks back.
 */
import type { Page } from '@playwright/test';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { expectStoresWhole, storedAttempts, storedRecord, storedRun } from './helpers/stores';
import { expect, setHooks, test } from './helpers/studio';

const LOCK = 'storyloom-gate-run';

/** The run lock as this page's origin sees it: how many tabs hold it and how many wait. */
async function lockState(page: Page): Promise<{ held: number; pending: number }> {
  return page.evaluate(async (name) => {
    const q = await navigator.locks.query();
    return {
      held: (q.held ?? []).filter((l) => l.name === name).length,
      pending: (q.pending ?? []).filter((l) => l.name === name).length,
    };
  }, LOCK);
}

test('the second tab takes a run over once when the running tab closes, and keeps its own edits', async ({
  context,
}) => {
  test.setTimeout(600_000);
  const first = await context.newPage();
  await createCharacter(first, 'Mira', 3);
  await setBudget(first, 4, 2);
  const storyId = await createStory(first, 'Two tabs', [['Mira'], ['Mira'], ['Mira']]);

  // The first tab's engine is slowed, so that it is still drawing when it closes.
  await setHooks(first, { engineStepDelayMs: 700 });
  await first.goto('about:blank');
  await first.goto(`/#/run/${storyId}`);
  await first.getByLabel('Run seed').fill('8');
  await first.getByRole('button', { name: 'Run story' }).click();
  await expect(first.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', {
    timeout: 180_000,
  });

  // The second tab opens on the story: it leaves the run to the first and waits on the lock.
  const second = await context.newPage();
  await second.goto(`/#/story/${storyId}`);
  await expect.poll(async () => (await lockState(second)).pending, { timeout: 60_000 }).toBe(1);
  for (const page of [first, second]) expect(await lockState(page)).toEqual({ held: 1, pending: 1 });
  expect((await storedRun(second, storyId))?.state).toBe('running');

  // Edits in the second tab while the first one runs.
  await second.getByLabel('Title', { exact: true }).fill('Two tabs, edited');
  await second.getByLabel('Caption').fill('Edited in the second tab');
  await second.getByRole('button', { name: 'Save story' }).click();
  await expect(second.getByTestId('form-status')).toContainText('Saved Two tabs, edited');
  const runIdBefore = (await storedRun(second, storyId))?.runId;

  // The first tab closes mid-run (at least one attempt stored, the run not finished).
  await expect
    .poll(async () => (await storedAttempts(second, storyId)).length, { timeout: 180_000 })
    .toBeGreaterThan(0);
  expect((await storedRun(second, storyId))?.state).toBe('running');
  await first.close();

  // The second tab takes the run over and finishes it; only it holds the lock, nobody waits.
  await expect.poll(async () => (await storedRun(second, storyId))?.state, { timeout: 400_000 }).toBe('done');
  const run = await storedRun(second, storyId);
  expect(run?.runId).toBe(runIdBefore);
  expect(run?.items.every((i) => i.status !== 'pending' && i.status !== 'running')).toBe(true);
  expect((await lockState(second)).held).toBeLessThanOrEqual(1);
  expect((await lockState(second)).pending).toBe(0);
  await expectStoresWhole(second, storyId);

  // The edits are kept beside the run's outcome of every panel.
  const story = await storedRecord<{ title: string; panelIds: string[] }>(second, 'stories', storyId);
  expect(story?.title).toBe('Two tabs, edited');
  const panels = await Promise.all(
    (story?.panelIds ?? []).map((id) =>
      storedRecord<{ id: string; caption: string; status: string; acceptedAttemptId: string | null }>(
        second,
        'panels',
        id,
      ),
    ),
  );
  expect(panels.some((p) => p?.caption === 'Edited in the second tab')).toBe(true);
  for (const item of run?.items ?? []) {
    const panel = panels.find((p) => p?.id === item.panelId);
    if (item.status === 'accepted') expect(panel?.acceptedAttemptId, item.panelId).toBe(item.bestAttemptId);
    expect(panel?.status, item.panelId).not.toBe('draft');
  }
  await second.goto(`/#/run/${storyId}`);
  await expect(second.getByTestId('run-view')).toHaveAttribute('data-state', 'done');
});
