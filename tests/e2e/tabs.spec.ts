/**
 * Two tabs of one studio (pages of one browser context: one origin, one IndexedDB, one lock
 * manager): a quality-gate run in tab A, caption edits in tab B meanwhile, and a third tab C on the
 * library. B and C wait for the gate's Web Lock instead of running the story too; when A closes
 * mid-attempt, the browser hands the lock to B, which takes the stored run over once and finishes
 * it; C, next in line, finds the run done and leaves it. Read back through IndexedDB: no attempt
 * twice, every attempt with its image, B's captions kept beside the gate's statuses.
 * Real engine worker and judge on the tiny pack (WASM), steps slowed so that A closes mid-attempt.
 */
import type { Page } from '@playwright/test';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { wholeAttempts } from './helpers/attempts';
import { readStores } from './helpers/profile';
import { expect, test, TINY } from './helpers/studio';

const LOCK = 'storyloom-gate-run';

/** The gate lock as the browser's lock manager sees it: who holds it, who waits for it. */
const gateLock = (page: Page) =>
  page.evaluate(async (name) => {
    const q = await navigator.locks.query();
    const of = (list: LockInfo[] | undefined) =>
      (list ?? []).filter((l) => l.name === name).map((l) => l.clientId ?? '');
    return { held: of(q.held), pending: of(q.pending) };
  }, LOCK);

const spawns = (page: Page) =>
  page.evaluate(() =>
    (
      globalThis as unknown as { __STORYLOOM_TEST_CONTROLS__: { engineSpawns(): Promise<number> } }
    ).__STORYLOOM_TEST_CONTROLS__.engineSpawns(),
  );

const storedAttempts = (page: Page, storyId: string) => wholeAttempts(page, storyId);

test.use({ hooks: { ...TINY, backend: 'wasm', testEngineCrash: true, engineStepDelayMs: 1500 } });

test('a run in one tab, edits in another: when the running tab closes the other takes the run over once', async ({
  page: tabA,
  context,
}) => {
  test.setTimeout(600_000);
  await createCharacter(tabA, 'Mira', 3);
  await setBudget(tabA, 2, 1);
  const storyId = await createStory(tabA, 'Two tabs', [['Mira'], ['Mira'], ['Mira'], ['Mira']]);
  await tabA.goto(`/#/run/${storyId}`);
  await tabA.getByLabel('Run seed').fill('5');
  await tabA.getByRole('button', { name: 'Run story' }).click();
  await expect(tabA.getByTestId('run-view')).toHaveAttribute('data-state', 'running');

  // Tab B opens on the story while A runs it: it does not run it too, it waits for the lock.
  const tabB = await context.newPage();
  await tabB.goto(`/#/story/${storyId}`);
  await expect.poll(async () => (await gateLock(tabB)).pending.length, { timeout: 30_000 }).toBe(1);
  const tabC = await context.newPage();
  await tabC.goto('/#/library');
  await expect.poll(async () => (await gateLock(tabB)).pending.length, { timeout: 30_000 }).toBe(2);
  const waiting = await gateLock(tabB);
  expect(waiting.held).toHaveLength(1);
  expect(waiting.pending).not.toContain(waiting.held[0]);
  expect(await spawns(tabB)).toBe(0);
  expect(await spawns(tabC)).toBe(0);

  // B edits every caption while A's gate writes the panels' statuses.
  const captions = [1, 2, 3, 4].map((n) => `Edited in tab B, panel ${n}`);
  await expect(tabB.getByTestId('save-state')).toHaveText('All changes saved');
  for (const [i, caption] of captions.entries()) {
    await tabB.getByRole('button', { name: new RegExp(`^Panel ${i + 1}\\b`) }).click();
    await tabB.getByLabel('Caption', { exact: true }).fill(caption);
  }
  await expect(tabB.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 30_000 });

  // B's run view says what it waits for, and offers nothing that would start a second run.
  await tabB.goto(`/#/run/${storyId}`);
  await expect(tabB.getByTestId('run-status')).toHaveText(
    'Another tab is running this story’s quality gate; this tab takes the run over if that tab closes.',
  );
  await expect(tabB.getByRole('button', { name: 'Run story' })).toHaveCount(0);

  // A closes in the middle of an attempt, after at least one attempt was stored.
  await expect
    .poll(async () => (await storedAttempts(tabB, storyId)).length, { timeout: 240_000 })
    .toBeGreaterThan(0);
  await expect(tabA.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', {
    timeout: 120_000,
  });
  const beforeClose = await storedAttempts(tabB, storyId);
  expect(beforeClose.length).toBeLessThan(4);
  await tabA.close();

  await expect(tabB.getByTestId('run-status')).toHaveText(
    'The tab that was running this story’s quality gate closed; this tab took the run over.',
    { timeout: 60_000 },
  );
  const running = await gateLock(tabB);
  expect(running.held).toHaveLength(1);
  expect(running.pending).toHaveLength(1);
  await expect(tabB.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 400_000 });
  await expect(tabB.getByTestId('run-status')).toContainText('Run finished: ');
  expect(await spawns(tabB)).toBe(1);

  // C got the lock after B, found the run done and left it: nobody holds or waits for the lock.
  await expect.poll(() => gateLock(tabB), { timeout: 30_000 }).toEqual({ held: [], pending: [] });
  expect(await spawns(tabC)).toBe(0);

  const attempts = await storedAttempts(tabB, storyId);
  for (const a of beforeClose)
    expect(attempts.find((x) => x.id === a.id)?.imageId, `${a.id} is kept`).toBe(a.imageId);
  const d = await readStores(tabB, ['stories', 'panels', 'meta'] as const);
  const story = d.stories.find((s) => s.id === storyId)!;
  const panels = new Map(d.panels.map((p) => [p.id, p]));
  const order = story.panelIds as string[];
  // One attempt per panel (the budget is one): none drawn twice by two runners.
  expect(attempts.map((a) => order.indexOf(a.panelId)).sort()).toEqual([0, 1, 2, 3]);
  const run = d.meta.find((m) => m.key === `gate-run:${storyId}`)?.value as {
    state: string;
    items: { panelId: string; status: string }[];
  };
  expect(run.state).toBe('done');
  for (const [i, id] of order.entries()) {
    const panel = panels.get(id)!;
    expect(panel.caption, `panel ${i + 1}'s caption`).toBe(captions[i]);
    // The gate's outcome is there beside B's caption.
    expect(panel.status, `panel ${i + 1}'s status`).not.toBe('draft');
    expect(run.items.find((it) => it.panelId === id)?.status).not.toMatch(/pending|running/);
  }
});
