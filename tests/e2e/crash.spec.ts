/**
 * The tab closed and the browser killed mid-write, in a persistent profile on disk: the browser
 * process gets SIGKILL (no shutdown, nothing flushed by a goodbye) and is launched again on the same
 * folder. While the gate is storing attempts, and while a story is being autosaved. Read back through
 * IndexedDB itself: no attempt without its image, no image without its attempt, no duplicate attempt
 * id or index; the story is the old version or the new one, never a mix; the run resumes and finishes.
 * Real engine worker and judge on the tiny pack (WASM), 2 steps slowed by the step-delay hook so a
 * kill lands in the middle of an attempt.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { TINY } from './helpers/hooks';
import { wholeAttempts, type StoredAttempt as Attempt } from './helpers/attempts';
import { openProfile, readStores, type Profile } from './helpers/profile';

const STORES = ['stories', 'panels', 'attempts', 'images', 'meta'] as const;

let profile: Profile;
test.afterEach(async () => {
  await profile?.close();
});

/** The attempts, checked whole: each with its image, each image an attempt's or a character's. */
const consistentAttempts = (page: Page, storyId: string) =>
  wholeAttempts(page, storyId, { ownedImages: true });

const committed = async (page: Page, storyId: string) => (await consistentAttempts(page, storyId)).length;

/** Every earlier attempt is still there with the same picture and seed. */
function kept(before: Attempt[], after: Attempt[]): void {
  for (const a of before) {
    const same = after.find((x) => x.id === a.id);
    expect(same, a.id).toBeTruthy();
    expect(same?.imageId).toBe(a.imageId);
    expect(same?.seed).toBe(a.seed);
  }
}

test('a gate run survives its tab closing and the browser being killed mid-attempt, then finishes', async () => {
  test.setTimeout(900_000);
  profile = await openProfile({ ...TINY, backend: 'wasm', engineStepDelayMs: 1500 });
  let page = profile.page;
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Harbour at night', [['Mira'], ['Mira'], ['Mira']]);
  await setBudget(page, 2, 2);

  await page.goto(`/#/run/${storyId}`);
  await page.getByLabel('Run seed').fill('2024');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'running');
  await expect.poll(() => committed(page, storyId), { timeout: 240_000 }).toBeGreaterThanOrEqual(1);

  // 1. The tab closes while the next attempt is drawing; a new tab resumes the run by itself.
  await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', /denoising|loading/, {
    timeout: 120_000,
  });
  const beforeClose = await consistentAttempts(page, storyId);
  page = await profile.reopenTab(`/#/run/${storyId}`);
  const afterClose = await consistentAttempts(page, storyId);
  kept(beforeClose, afterClose);
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', /running|done/);
  await expect.poll(() => committed(page, storyId), { timeout: 240_000 }).toBeGreaterThan(afterClose.length);

  // 2. The browser is killed while an attempt is drawing; relaunched on the same profile it resumes.
  await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', /denoising|loading/, {
    timeout: 120_000,
  });
  const beforeKill = await consistentAttempts(page, storyId);
  page = await profile.killAndRelaunch(`/#/run/${storyId}`);
  const afterKill = await consistentAttempts(page, storyId);
  kept(beforeKill, afterKill);
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 600_000 });
  await expect(page.getByTestId('run-status')).toContainText('Run finished');

  const final = await consistentAttempts(page, storyId);
  kept(afterKill, final);
  expect(final.length).toBeGreaterThan(afterKill.length);
  expect(new Set(final.map((a) => a.panelId)).size).toBe(3);
  const run = (await readStores(page, STORES)).meta.find((m) => m.key === `gate-run:${storyId}`);
  expect((run?.value as { state: string }).state).toBe('done');
});

/** The story and its panels as stored: title and each panel's caption. */
async function storedVersion(page: Page, storyId: string): Promise<{ title: string; captions: string[] }> {
  const d = await readStores(page, STORES);
  const story = d.stories.find((s) => s.id === storyId)!;
  const panels = new Map(d.panels.map((p) => [p.id, p]));
  return {
    title: String(story.title),
    captions: (story.panelIds as string[]).map((id) => String(panels.get(id)?.caption ?? '')),
  };
}

test('a story autosave cut by a closed tab or a killed browser leaves the old version or the new, never half', async () => {
  test.setTimeout(600_000);
  profile = await openProfile({ ...TINY, judgeOff: true });
  let page = profile.page;
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Version 0', [['Mira'], ['Mira'], ['Mira'], ['Mira']]);
  const seen = new Set<string>();
  // Each round edits the title and all four captions, then cuts the autosave (due 1 s after the
  // last change) at a different moment around it.
  const cuts: { how: 'close' | 'kill'; waitMs: number }[] = [
    { how: 'kill', waitMs: 900 },
    { how: 'close', waitMs: 1000 },
    { how: 'kill', waitMs: 1050 },
    { how: 'close', waitMs: 1100 },
    { how: 'kill', waitMs: 1200 },
  ];
  let old = await storedVersion(page, storyId);
  expect(old.title).toBe('Version 0');
  for (const [round, cut] of cuts.entries()) {
    const n = round + 1;
    await page.goto(`/#/story/${storyId}`);
    await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
    const next = { title: `Version ${n}`, captions: [1, 2, 3, 4].map((p) => `Round ${n}, panel ${p}`) };
    for (const [i, caption] of next.captions.entries()) {
      await page.getByRole('button', { name: new RegExp(`^Panel ${i + 1}\\b`) }).click();
      await page.getByLabel('Caption', { exact: true }).fill(caption);
    }
    await page.getByLabel('Title', { exact: true }).fill(next.title);
    await page.waitForTimeout(cut.waitMs);
    page =
      cut.how === 'kill'
        ? await profile.killAndRelaunch(`/#/story/${storyId}`)
        : await profile.reopenTab(`/#/story/${storyId}`);
    const stored = await storedVersion(page, storyId);
    const whole =
      JSON.stringify(stored) === JSON.stringify(old) || JSON.stringify(stored) === JSON.stringify(next);
    expect(whole, `round ${n} (${cut.how} after ${cut.waitMs} ms): ${JSON.stringify(stored)}`).toBe(true);
    seen.add(JSON.stringify(stored) === JSON.stringify(next) ? 'new' : 'old');
    // The editor shows what is stored.
    await expect(page.getByLabel('Title', { exact: true })).toHaveValue(stored.title);
    old = stored;
  }
  console.log(`autosave cuts: ${[...seen].join(', ')} versions found after the cut`);
});
