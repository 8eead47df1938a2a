/**
 * A full disk in a real browser: a persistent profile whose origin gets a tiny quota through CDP
 * (`Storage.overrideQuotaForOrigin`; the estimate API still reports the old quota, so nothing is
 * refused up front). Saving a story, storing an attempt, downloading a pack and importing a bundle
 * each show one sentence saying what happened and what to do, and every store read back holds
 * what it held before.
 */
import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { createCharacter, createStory, setBudget } from './helpers/library';
import { readPackJson, serveHub } from './helpers/hub-routes';
import { TINY } from './helpers/hooks';
import { openProfile, readStores, setQuota, type Profile } from './helpers/profile';
import { QUOTA_MESSAGE } from '../../src/lib/store/errors';

const STORES = ['characters', 'stories', 'panels', 'attempts', 'images', 'meta'] as const;
/** Smaller than any write the studio makes: every IndexedDB, OPFS or Cache write now fails. */
const FULL = 1;

let profile: Profile;
test.afterEach(async () => {
  await profile?.close();
});

test('saving a story on a full disk says so in one sentence and keeps the saved version', async () => {
  test.setTimeout(180_000);
  profile = await openProfile({ ...TINY, judgeOff: true });
  const { page } = profile;
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Harbour at night', [['Mira'], ['Mira']]);
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  const before = await readStores(page, STORES);

  await setQuota(page, FULL);
  await page.getByRole('button', { name: /^Panel 1\b/ }).click();
  await page.getByLabel('Caption', { exact: true }).fill('The lamps went out.');
  await expect(page.getByTestId('save-state')).toHaveText(`Not saved: ${QUOTA_MESSAGE}`, { timeout: 30_000 });
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-kind', 'error');
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(await readStores(page, STORES)).toEqual(before);
  expect(before.stories.map((s) => s.id)).toEqual([storyId]);
});

test('importing a bundle on a full disk says so in one sentence and imports nothing', async () => {
  test.setTimeout(180_000);
  profile = await openProfile({ ...TINY, judgeOff: true });
  const { page } = profile;
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Harbour at night', [['Mira']]);
  await page.goto(`/#/story/${storyId}`);
  await page.getByTestId('story-share').locator('summary').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-run').click();
  const bundle = await readFile((await (await download).path())!);
  const before = await readStores(page, STORES);

  await setQuota(page, FULL);
  await page.goto('/#/library');
  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'Harbour.storyloom', mimeType: 'application/zip', buffer: bundle });
  await expect(page.getByTestId('import-preview')).toBeVisible();
  await page.getByLabel('Import as a copy (both are kept)').check();
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('import-error')).toHaveText(QUOTA_MESSAGE);
  expect(await readStores(page, STORES)).toEqual(before);
});

test('storing an attempt on a full disk stops the run with one sentence and keeps what was stored', async () => {
  test.setTimeout(300_000);
  // Slow steps: the quota is cut while the first attempt is drawing, so its commit is the first write.
  profile = await openProfile({ ...TINY, backend: 'wasm', judgeOff: true, engineStepDelayMs: 1500 });
  const { page } = profile;
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Harbour at night', [['Mira']]);
  await setBudget(page, 2, 2);
  await page.goto(`/#/run/${storyId}`);
  await page.getByRole('button', { name: 'Run story' }).click();
  await expect(page.getByTestId('run-current')).toHaveAttribute('data-phase', 'denoising', {
    timeout: 120_000,
  });
  const before = await readStores(page, STORES);
  expect(before.attempts).toHaveLength(0);

  await setQuota(page, FULL);
  await expect(page.getByTestId('run-error')).toContainText(QUOTA_MESSAGE, { timeout: 120_000 });
  await expect(page.getByTestId('run-error')).toHaveText(QUOTA_MESSAGE);
  const after = await readStores(page, STORES);
  expect(after).toEqual(before);
});

test('downloading a pack on a full disk says so in one sentence and leaves the stores as they were', async () => {
  test.setTimeout(180_000);
  // The tiny pack is offered but not installed: it is downloaded for real from the routed Hub.
  profile = await openProfile({ testPacks: true }, '/#/models');
  const { page } = profile;
  await serveHub(profile.context, readPackJson('tiny-pack'));
  await createCharacter(page, 'Mira', 3);
  const before = await readStores(page, STORES);
  await page.goto('/#/models');
  const card = page.getByTestId('pack-tiny');
  await expect(card.getByTestId('pack-status')).toHaveText('Not downloaded');

  await setQuota(page, FULL);
  await card.getByTestId('download').click();
  await expect(card.getByTestId('pack-message')).toHaveText(
    /^The disk is full while saving [\w./-]+ \([^)]*kept\)\. Free space or delete a pack, then press Resume\.$/,
    { timeout: 60_000 },
  );
  await expect(card.getByTestId('pack-status')).not.toHaveText('Installed');
  await expect(page.getByRole('alert')).toHaveCount(1);
  expect(await readStores(page, STORES)).toEqual(before);
});
