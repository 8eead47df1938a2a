import { expect, test, TINY } from './helpers/studio';
import type { Page } from '@playwright/test';
import { createCharacter, createStory } from './helpers/library';

/**
 * The review queue on the tiny pack with the real engine worker and judge (WASM): a run with one
 * attempt per panel and an identity threshold no twin picture reaches leaves three panels in
 * "needs review"; the queue steps through them by keyboard (J next, A accept, R reject, E edit
 * region, K previous), each decision is stored on the attempt that was shown, and the queue then
 * says nothing is left.
 */

test.use({ hooks: { ...TINY, backend: 'wasm' } });

interface StoredAttempt {
  id: string;
  panelId: string;
  storyId: string;
  index: number;
  report: {
    verdict: string;
    checks: { label: string; passed: boolean }[];
    artistDecision: { decision: string } | null;
  } | null;
}
interface StoredPanel {
  id: string;
  storyId: string;
  status: string;
  acceptedAttemptId: string | null;
}

async function stored(
  page: Page,
  storyId: string,
): Promise<{ attempts: StoredAttempt[]; panels: StoredPanel[] }> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = <T>(name: string) =>
      new Promise<T[]>((resolve, reject) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => resolve(r.result as T[]);
        r.onerror = () => reject(r.error);
      });
    const attempts = (await all<StoredAttempt>('attempts')).filter((a) => a.storyId === id);
    const panels = (await all<StoredPanel>('panels')).filter((p) => p.storyId === id);
    db.close();
    return { attempts, panels };
  }, storyId);
}

test('three panels need review: the queue steps through them by keyboard and stores each decision', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await createCharacter(page, 'Mira', 3);
  // One attempt per panel. The twins draw noise, which fails the judge's defaults; identity (a hard
  // check) at 1 makes sure no picture passes.
  await page.goto('/#/settings');
  await page.getByLabel('Steps').fill('2');
  await page.getByLabel('Max attempts per panel').fill('1');
  const identity = page.getByLabel('identity', { exact: true });
  await identity.fill('1');
  await identity.dispatchEvent('change');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Settings saved.');
  const storyId = await createStory(page, 'Quay', [['Mira'], ['Mira'], ['Mira']]);

  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Run seed').fill('4');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
  const before = await stored(page, storyId);
  expect(before.attempts).toHaveLength(3);
  expect(before.panels.map((p) => p.status).sort()).toEqual(['needs-review', 'needs-review', 'needs-review']);

  // The library offers the library's queue; the run view offers the story's.
  await expect(page.getByTestId('run-review-link')).toHaveText('Review 3 panels');
  await page.goto('/#/library');
  await page.getByTestId('library-review-link').click();
  await expect(page).toHaveURL(/#\/review$/);
  await expect(page.getByTestId('review-position')).toHaveText('Panel 1 of 3 to review · Quay · panel 1');
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(/#\/library$/);
  await page.goto(`/#/run/${storyId}`);
  await page.getByTestId('run-review-link').click();
  await expect(page).toHaveURL(new RegExp(`#/review/${storyId}$`));
  const queue = page.getByTestId('review-queue');
  const position = page.getByTestId('review-position');
  await expect(position).toHaveText('Panel 1 of 3 to review · Quay · panel 1');
  await expect(page.getByTestId('review-image')).toBeVisible();
  await expect(page.getByTestId('review-verdict')).toHaveAttribute('data-verdict', 'fail');
  const shownId = await queue.getAttribute('data-attempt-id');
  const shownFirst = before.attempts.find((a) => a.id === shownId);
  const failing = [...new Set(shownFirst!.report!.checks.filter((c) => !c.passed).map((c) => c.label))];
  expect(failing.length).toBeGreaterThan(0);
  await expect(page.getByTestId('review-failing').getByRole('listitem')).toHaveText(failing);
  await expect(page.getByRole('button', { name: 'Accept' })).toHaveAttribute('aria-keyshortcuts', 'A');
  await expect(page.getByRole('button', { name: 'Reject' })).toHaveAttribute('aria-keyshortcuts', 'R');
  const attemptOf = new Map(before.attempts.map((a) => [a.panelId, a.id]));
  const shown = async () => (await queue.getAttribute('data-attempt-id')) ?? '';
  const first = await shown();

  // J: panel 2. A accepts it and the queue moves on to panel 3.
  await page.keyboard.press('j');
  await expect(position).toHaveText('Panel 2 of 3 to review · Quay · panel 2');
  const second = await shown();
  await page.keyboard.press('a');
  await expect(position).toHaveText('Panel 2 of 2 to review · Quay · panel 3');
  await expect(page.getByTestId('review-status')).toContainText('Accepted attempt 1 of panel 2');
  const third = await shown();

  // R rejects panel 3; the one left is panel 1.
  await page.keyboard.press('r');
  await expect(position).toHaveText('Panel 1 of 1 to review · Quay · panel 1');
  expect(await shown()).toBe(first);

  // E: the editor with panel 1 selected and its picture under the local-edit brush, focused.
  await page.keyboard.press('e');
  await expect(page).toHaveURL(new RegExp(`#/story/${storyId}$`));
  await expect(page.getByTestId('panel-item').nth(0).getByRole('button').first()).toHaveAttribute(
    'aria-current',
    'true',
  );
  await expect(page.getByTestId('local-edit')).toBeFocused();
  await expect(page.getByTestId('edit-base')).toHaveAttribute('data-attempt-id', first);
  await page.getByTestId('review-link').click();
  await expect(position).toHaveText('Panel 1 of 1 to review · Quay · panel 1');

  // K at the start stays; A accepts the last one and the queue says so.
  await page.keyboard.press('k');
  await expect(position).toHaveText('Panel 1 of 1 to review · Quay · panel 1');
  await page.keyboard.press('a');
  await expect(page.getByTestId('review-empty')).toContainText('Nothing to review in this story.');
  await expect(page.getByRole('link', { name: 'Back to the story' })).toBeVisible();

  // Stored on the attempts that were shown; the panels moved through the status machine.
  const after = await stored(page, storyId);
  const decision = (id: string) => after.attempts.find((a) => a.id === id)?.report?.artistDecision?.decision;
  expect([decision(first), decision(second), decision(third)]).toEqual(['accept', 'accept', 'reject']);
  const panelOf = (attemptId: string) => [...attemptOf].find(([, a]) => a === attemptId)?.[0];
  const panel = (attemptId: string) => after.panels.find((p) => p.id === panelOf(attemptId));
  expect(panel(first)).toMatchObject({ status: 'accepted', acceptedAttemptId: first });
  expect(panel(second)).toMatchObject({ status: 'accepted', acceptedAttemptId: second });
  expect(panel(third)).toMatchObject({ status: 'needs-review', acceptedAttemptId: null });
  expect(after.attempts).toHaveLength(3);

  // The editor reads the same; no "Review" link is left, here or in the library.
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(new RegExp(`#/story/${storyId}$`));
  const badges = page.getByTestId('panel-item').getByTestId('panel-status');
  await expect(badges).toHaveCount(3);
  for (const [i, status] of ['accepted', 'accepted', 'needs-review'].entries())
    await expect(badges.nth(i)).toHaveAttribute('data-status', status);
  await expect(page.getByTestId('review-link')).toHaveCount(0);
  await page.goto('/#/library');
  await expect(page.getByTestId('library-list')).toBeVisible();
  await expect(page.getByTestId('library-review-link')).toHaveCount(0);
  await page.goto('/#/review');
  await expect(page.getByTestId('review-empty')).toContainText('Nothing to review in the library.');
  expect(errors).toEqual([]);
});
