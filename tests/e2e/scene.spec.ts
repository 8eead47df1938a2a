/**
 * A scene-only panel (an establishing shot, no characters) on the tiny pack with the real engine
 * worker and the real judge (WASM): Generate draws it from scene, composition and style, the judge
 * reports scene and composition checks and no character checks, and Run story runs it through the
 * gate to a final state without an error (the gate used to refuse a panel with no cast). 64 px,
 * 2 steps, at most 2 gate attempts.
 */
import type { Page } from '@playwright/test';
import { createStory, setBudget } from './helpers/library';
import { expect, reopen, test } from './helpers/studio';

test.use({ hooks: { testPacks: true, activePack: 'tiny', servedTestPacks: true, backend: 'wasm' } });

interface Stored {
  panelId: string;
  storyId: string;
  index: number;
  imageId: string | null;
  parameters: { mode: string };
  chunks: { kind: string; text: string }[];
  action: { kind: string } | null;
  report: { verdict: string; checks: { kind: string; characterId: string | null }[] } | null;
}

async function storedAttempts(page: Page, storyId: string): Promise<Stored[]> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = await new Promise<Stored[]>((resolve, reject) => {
      const r = db.transaction('attempts').objectStore('attempts').getAll();
      r.onsuccess = () => resolve(r.result as Stored[]);
      r.onerror = () => reject(r.error);
    });
    db.close();
    return all.filter((a) => a.storyId === id).sort((a, b) => a.index - b.index);
  }, storyId);
}

test('a panel without characters is generated, judged on scene and composition, and run by the gate', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await setBudget(page, 2, 2);
  const storyId = await createStory(page, 'Harbour at dawn', [[]]);
  await reopen(page, `/#/story/${storyId}`, { backend: 'wasm' });
  await expect(page.getByTestId('cast-member')).toHaveCount(0);
  await expect(page.getByTestId('scene-only')).toBeVisible();

  // 1. Generate: a picture and a judge report with scene and composition checks.
  await page.getByLabel('Seed', { exact: true }).fill('77');
  await page.getByLabel('Seed', { exact: true }).dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generate-status')).toContainText('seed 77', { timeout: 120_000 });
  await expect(page.getByTestId('generate-error')).toHaveCount(0);
  await expect(page.getByTestId('generated-image')).toBeVisible();
  await expect(page.getByTestId('judge-verdict')).toBeVisible();
  const shown = await page
    .getByTestId('judge-check')
    .evaluateAll((els) => els.map((el) => ({ ...(el as HTMLElement).dataset })));
  const kinds = new Set(shown.map((c) => c.kind));
  expect(kinds.has('scene')).toBe(true);
  expect(kinds.has('composition')).toBe(true);
  for (const k of ['identity', 'pose', 'expression', 'facing', 'wardrobe', 'copy-paste', 'placement'])
    expect(kinds.has(k), k).toBe(false);
  // Figures the detector may find in noise are soft in a scene-only panel: none of them is hard.
  for (const c of shown.filter((x) => x.kind === 'cast' || x.kind === 'count'))
    expect(c.hard, c.checkId).toBe('false');
  expect(await page.getByTestId('judge-verdict').getAttribute('data-verdict')).toBe('pass');

  const manual = await storedAttempts(page, storyId);
  expect(manual).toHaveLength(1);
  expect(manual[0]).toMatchObject({ index: 0, parameters: { mode: 'txt2img' } });
  expect(manual[0]!.imageId).not.toBeNull();
  expect(manual[0]!.chunks.map((c) => c.kind)).toEqual(['scene', 'negative']);
  expect(manual[0]!.chunks[0]!.text).toContain('the harbour wall');
  expect(manual[0]!.report?.checks.every((c) => c.characterId === null)).toBe(true);

  // 2. Run story: the gate takes the scene-only panel and brings it to a final state.
  await page.getByRole('link', { name: 'Run story' }).click();
  await expect(page).toHaveURL(new RegExp(`#/run/${storyId}$`));
  await page.getByLabel('Run seed').fill('5');
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-view')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('run-status')).toContainText('Run finished');
  await expect(page.getByRole('alert')).toHaveCount(0);
  const item = page.getByTestId('run-panel');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-item-status', /^(accepted|needs-review)$/);
  await expect(item.locator('.error')).toHaveCount(0);

  const after = await storedAttempts(page, storyId);
  const run = after.filter((a) => a.index > 0);
  expect(run.length).toBeGreaterThanOrEqual(1);
  for (const a of run) {
    expect(a.report, `attempt ${a.index}`).not.toBeNull();
    expect(a.action, `attempt ${a.index}`).not.toBeNull();
    expect(a.action?.kind).not.toBe('local-edit');
    expect(a.parameters.mode).not.toBe('edit');
  }
  expect(errors).toEqual([]);
});
