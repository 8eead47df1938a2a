/**
 * A full disk in a real browser: the persistent profile lives on a small tmpfs of its own, and a
 * filler file takes every byte left, so Chromium's own writes fail as they do on a full machine
 * (LevelDB "FILE_ERROR_NO_SPACE", blob files that cannot be written, OPFS refusing). Saving a story,
 * storing an attempt, importing a bundle and downloading a pack each show one sentence that says the
 * storage is full and what to do, and every record made before is still there, field for field
 * (read back through IndexedDB itself once the filler is gone; pictures compared by size). Then, with
 * room again, the same action succeeds. Real engine worker on the tiny pack (WASM, judge off). Needs the right to mount.
 *
 * The pack download asks the disk for room before each file (models/downloader.ts): on Chromium 150 the
 * browser process itself could crash when OPFS's own directory database met the full disk
 * (SandboxDirectoryDatabase "IO error", then crashpad), so the download must stop before that.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { mountSmallDisk, type SmallDisk } from './helpers/disk';
import { TINY } from './helpers/hooks';
import { readPackJson, serveHub } from './helpers/hub-routes';
import { createCharacter, createStory } from './helpers/library';
import { openProfile, readStores, type Profile } from './helpers/profile';

const STORES = ['characters', 'stories', 'panels', 'attempts', 'images', 'settings'] as const;
type Dump = Record<(typeof STORES)[number], Record<string, unknown>[]>;

/** Room for Chromium's own profile (HTTP and code caches of the runtime's WASM) and the studio's records. */
const DISK_MB = 64;
/** The one sentence each kind of write gives when the disk is full. */
const FULL = /no room left|disk is full/i;

let disk: SmallDisk | undefined;
let profile: Profile | undefined;
test.afterEach(async () => {
  try {
    await profile?.close();
  } finally {
    disk?.unmount();
    profile = undefined;
    disk = undefined;
  }
});

/**
 * Every error line the page shows, as text (the default pack's standing "cannot run here" note on
 * this adapter is not about this write).
 */
async function shown(page: Page): Promise<string[]> {
  const texts = await page
    .locator('[role="alert"], [data-kind="error"], [data-testid$="-error"]')
    .filter({ hasNot: page.locator('[data-testid="cannot-draw"]') })
    .and(page.locator(':not([data-testid="cannot-draw"])'))
    .allInnerTexts();
  return texts.map((t) => t.trim()).filter(Boolean);
}

/** What the disk full said: exactly one line, the storage-full sentence. */
async function expectOneFullSentence(page: Page): Promise<void> {
  await expect.poll(async () => (await shown(page)).filter((t) => FULL.test(t)).length).toBe(1);
  const all = await shown(page);
  expect(
    all.filter((t) => !FULL.test(t)),
    'no other error line',
  ).toEqual([]);
}

const byId = (rows: Record<string, unknown>[]) =>
  [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));
const sorted = (d: Dump) => Object.fromEntries(STORES.map((s) => [s, byId(d[s])])) as unknown as Dump;

test('a full disk: story save, attempt and bundle import each say so once and lose nothing', async () => {
  test.setTimeout(300_000);
  disk = mountSmallDisk(DISK_MB);
  profile = await openProfile({ ...TINY, backend: 'wasm', judgeOff: true }, '/#/library', disk.dir);
  const page = profile.page;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // Records made while there is room: a character, a story with two panels, an attempt, a bundle.
  await createCharacter(page, 'Mira', 3);
  const storyId = await createStory(page, 'Harbour at night', [['Mira'], ['Mira']]);
  await page.getByRole('button', { name: /^Panel 1\b/ }).click();
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generated-image')).toBeVisible({ timeout: 90_000 });
  await page.getByTestId('story-share').locator('summary').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-run').click();
  const bundle = await readFile((await (await download).path())!);
  await expect(page.getByTestId('export-status')).toContainText('Exported 1 story');
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  const before = sorted(await readStores(page, STORES));
  expect(before.attempts).toHaveLength(1);
  expect(before.stories.map((st) => st.id)).toEqual([storyId]);

  // (a) Saving a story: an edit, and the autosave meets the full disk.
  disk.fill();
  await page.getByRole('button', { name: /^Panel 2\b/ }).click();
  await page.getByLabel('Caption', { exact: true }).fill('Written on a full disk');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-kind', 'error', { timeout: 30_000 });
  await expectOneFullSentence(page);
  disk.release();
  expect(sorted(await readStores(page, STORES))).toEqual(before);
  // With room again, the edit still in the editor saves.
  await page.getByLabel('Caption', { exact: true }).fill('Written with room again');
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved', { timeout: 30_000 });
  const afterA = sorted(await readStores(page, STORES));
  expect(afterA.panels.map((p) => p.caption)).toContain('Written with room again');

  // (b) Storing an attempt: Generate on panel 2 draws, then the attempt cannot be written.
  disk.fill();
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generate-error')).toBeVisible({ timeout: 90_000 });
  await expectOneFullSentence(page);
  disk.release();
  expect(sorted(await readStores(page, STORES))).toEqual(afterA);
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('generated-image')).toBeVisible({ timeout: 90_000 });
  await expect.poll(async () => (await readStores(page, ['attempts'] as const)).attempts.length).toBe(2);
  const afterB = sorted(await readStores(page, STORES));

  // (d) Importing a bundle (as a copy: the same story is here).
  disk.fill();
  await page.goto('/#/library');
  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'harbour.storyloom', mimeType: 'application/zip', buffer: bundle });
  await expect(page.getByTestId('import-preview')).toBeVisible();
  await page.getByLabel('Import as a copy (both are kept)').check();
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('import-error')).toBeVisible({ timeout: 30_000 });
  await expectOneFullSentence(page);
  disk.release();
  expect(sorted(await readStores(page, STORES))).toEqual(afterB);
  // With room again, the same import goes in whole.
  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'harbour.storyloom', mimeType: 'application/zip', buffer: bundle });
  await page.getByLabel('Import as a copy (both are kept)').check();
  await page.getByTestId('import-commit').click();
  await expect(page.getByTestId('import-status')).toContainText('Imported 1 story, 1 character, 2 panels');
  const afterD = sorted(await readStores(page, STORES));
  expect(afterD.stories).toHaveLength(2);

  expect(errors).toEqual([]);
});

test('a full disk: a pack download says so once, asks nothing of the Hub it cannot keep, and finishes once there is room', async () => {
  test.setTimeout(300_000);
  disk = mountSmallDisk(DISK_MB);
  profile = await openProfile(
    { ...TINY, backend: 'wasm', judgeOff: true, servedTestPacks: false },
    '/#/library',
    disk.dir,
  );
  const page = profile.page;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await createCharacter(page, 'Mira', 3);
  // The tiny pack is not served by our origin here but by the Hub (routes), and not yet downloaded.
  await page.goto('/#/models');
  const hub = await serveHub(profile.context, readPackJson('tiny-pack'));
  const before = sorted(await readStores(page, STORES));
  const card = page.getByTestId('pack-tiny');
  await expect(card.getByTestId('pack-status')).toHaveText('Not downloaded');

  // (1) Started on a full disk: the room check refuses before any file is asked for.
  disk.fill();
  await card.getByTestId('download').click();
  await expect(card.getByTestId('pack-message')).toBeVisible({ timeout: 30_000 });
  await expectOneFullSentence(page);
  await expect(card.getByTestId('pack-message')).toContainText(
    'Free space or delete a pack, then press Resume',
  );
  expect(
    hub.log.filter((r) => r.method === 'GET'),
    'no file asked for',
  ).toEqual([]);
  disk.release();
  expect(sorted(await readStores(page, STORES))).toEqual(before);

  // (2) The disk fills during the download: some files arrive, then one sentence, and what arrived is kept.
  disk.fill(400 * 1024);
  await card.getByTestId('download').click();
  await expect(card.getByTestId('pack-message')).toBeVisible({ timeout: 30_000 });
  await expectOneFullSentence(page);
  const verified = await card
    .locator('[data-testid="file-row"][data-state="verified"]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-file')));
  expect(verified.length, 'some files arrived whole before the disk was full').toBeGreaterThan(0);
  expect(verified.length, 'not every file').toBeLessThan(hub.files.size);
  disk.release();
  expect(sorted(await readStores(page, STORES))).toEqual(before);

  // (3) With room again, Resume finishes the pack without asking again for a file it already has whole.
  const asked = hub.log.length;
  await card.getByTestId('download').click();
  await expect(card.getByTestId('pack-status')).toHaveText('Installed', { timeout: 60_000 });
  const again = hub.log.slice(asked).filter((r) => r.method === 'GET');
  expect(again.length, 'the rest was asked for').toBeGreaterThan(0);
  expect(
    again.filter((r) => verified.includes(r.label)),
    'no verified file is asked for again',
  ).toEqual([]);
  await expect(card.getByTestId('pack-message')).toContainText('Installed');
  expect(errors).toEqual([]);
});
