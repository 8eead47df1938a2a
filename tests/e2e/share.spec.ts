/**
 * Story bundles in the real studio (tiny pack on WebGPU, judge off: the pictures are what travels):
 * a six-panel story with dialogue, lettering and attempts is exported from the story editor and
 * imported into a fresh browser profile — records identical, every picture's bytes identical by
 * SHA-256, the reader shows the same lettering; importing it again asks about the conflict and a copy
 * gets its own ids; hostile bundles through the UI show their sentence and leave every store's count
 * as it was.
 */
import type { Browser, Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { createCharacter, createDialogueStory, createStory, HARBOUR_PANELS } from './helpers/library';
import { addHooks, TINY, type Hooks } from './helpers/hooks';
import { expect, test } from './helpers/studio';
import { buildZip } from '../unit/bundle/hostile/build';

const HOOKS = { ...TINY, judgeOff: true };
test.use({ hooks: HOOKS });

const STORES = ['characters', 'stories', 'panels', 'attempts', 'images'] as const;
type Dump = Record<(typeof STORES)[number], Record<string, unknown>[]> & { imageSha: Record<string, string> };

/** Every record of the studio's database, and the SHA-256 of every image's bytes (by image id). */
function dump(page: Page): Promise<Dump> {
  return page.evaluate(async (stores) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const out: Record<string, unknown> = {};
    for (const name of stores)
      out[name] = await new Promise((resolve, reject) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    db.close();
    const imageSha: Record<string, string> = {};
    for (const image of out.images as { id: string; blob: Blob }[]) {
      const digest = await crypto.subtle.digest('SHA-256', await image.blob.arrayBuffer());
      imageSha[image.id] = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    }
    for (const image of out.images as Record<string, unknown>[]) delete image.blob;
    return { ...(out as Omit<Dump, 'imageSha'>), imageSha };
  }, STORES);
}

const counts = (d: Dump) => STORES.map((s) => d[s].length);

/** Records with image ids replaced by the images' SHA-256 and the index fields the store adds removed. */
function normalised(d: Dump) {
  const sha = (id: unknown) => (typeof id === 'string' ? (d.imageSha[id] ?? `missing:${id}`) : id);
  const strip = (r: Record<string, unknown>) => {
    const { nameLower: _n, titleLower: _t, castIds: _c, ...rest } = r;
    return rest;
  };
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    String(a.id).localeCompare(String(b.id));
  return {
    characters: d.characters
      .map((c) => ({
        ...strip(c),
        templates: (c.templates as { imageId: string }[]).map((t) => ({ ...t, imageId: sha(t.imageId) })),
      }))
      .sort(byId),
    stories: d.stories.map((s) => ({ ...strip(s), coverImageId: sha(s.coverImageId) })).sort(byId),
    panels: d.panels.map(strip).sort(byId),
    attempts: d.attempts.map((a) => ({ ...a, imageId: sha(a.imageId) })).sort(byId),
    images: Object.values(d.imageSha).sort(),
  };
}

async function freshPage(browser: Browser, baseURL: string, hooks: Hooks = HOOKS): Promise<Page> {
  const context = await browser.newContext({ baseURL, serviceWorkers: 'block' });
  await addHooks(context, hooks);
  return context.newPage();
}

async function importFile(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.goto('/#/library');
  await page.getByTestId('import-file').setInputFiles({ name, mimeType: 'application/zip', buffer });
}

test('a story bundle travels to a fresh profile intact; a second import asks; hostile bundles change nothing', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await createCharacter(page, 'Mira', 3);
  await createCharacter(page, 'Bo', 4, 'black');
  const storyId = await createDialogueStory(page, 'Bells at the harbour', HARBOUR_PANELS);

  // Two pictures (panels 1 and 2) and one pinned, reshaped balloon.
  for (const n of [1, 2]) {
    await page.getByRole('button', { name: new RegExp(`^Panel ${n}\\b`) }).click();
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect(page.getByTestId('generated-image')).toBeVisible({ timeout: 90_000 });
  }
  await page.goto(`/#/read/${storyId}`);
  await page.getByTestId('reader-edit').check();
  const balloon = page.locator('[data-testid="reader-balloon"][data-text="Do you hear the bells?"]');
  await balloon.getByTestId('reader-balloon-body').click();
  await page.getByTestId('reader-kind').selectOption('thought');
  await page.getByTestId('reader-pin').check();
  await expect(balloon).toHaveAttribute('data-pinned', 'true');
  await expect(balloon).toHaveAttribute('data-kind', 'thought');
  const box = await balloon.getAttribute('data-box');

  // 1. Export from the story editor, every attempt included.
  await page.goto(`/#/story/${storyId}`);
  await page.getByTestId('story-share').locator('summary').click();
  await expect(page.getByTestId('export-all-attempts')).toBeChecked();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-run').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('Bells-at-the-harbour.storyloom');
  await expect(page.getByTestId('export-status')).toContainText('Exported 1 story, 2 characters, 6 panels');
  const bundle = await readFile((await file.path())!);
  // A stored `mimetype` first, as EPUB does: readable at a fixed offset.
  expect(bundle.subarray(30, 38).toString('latin1')).toBe('mimetype');
  expect(bundle.subarray(38, 38 + 36).toString('latin1')).toBe('application/vnd.storyloom.bundle+zip');
  const before = await dump(page);
  expect(before.attempts.length).toBe(2);

  // 2. Import into a fresh profile: a preview first, then the same records and the same bytes.
  const other = await freshPage(browser, baseURL!);
  other.on('pageerror', (e) => errors.push(e.message));
  await importFile(other, 'Bells-at-the-harbour.storyloom', bundle);
  await expect(other.getByTestId('import-preview')).toContainText(
    '1 story, 2 characters, 6 panels, 2 attempts and 4 pictures',
  );
  await expect(other.getByTestId('import-conflicts')).toHaveCount(0);
  expect(counts(await dump(other))).toEqual([0, 0, 0, 0, 0]);
  await other.getByTestId('import-commit').click();
  await expect(other.getByTestId('import-status')).toContainText(
    'Imported 1 story, 2 characters, 6 panels, 2 attempts and 4 pictures',
  );
  const after = await dump(other);
  expect(normalised(after)).toEqual(normalised(before));
  await other.goto(`/#/read/${storyId}`);
  const moved = other.locator('[data-testid="reader-balloon"][data-text="Do you hear the bells?"]');
  await expect(moved).toHaveAttribute('data-kind', 'thought');
  await expect(moved).toHaveAttribute('data-pinned', 'true');
  expect(await moved.getAttribute('data-box')).toBe(box);

  // 3. The same bundle again: the preview names what is already there; a copy gets new ids.
  await importFile(other, 'Bells-at-the-harbour.storyloom', bundle);
  const conflicts = other.getByTestId('import-conflicts');
  await expect(conflicts).toContainText('You imported this very bundle before.');
  await expect(conflicts).toContainText('The story “Bells at the harbour”');
  await expect(conflicts).toContainText('The character “Mira”');
  await other.getByLabel('Import as a copy (both are kept)').check();
  await other.getByTestId('import-commit').click();
  await expect(other.getByTestId('import-status')).toContainText('Imported 1 story, 2 characters');
  const twice = await dump(other);
  expect(counts(twice)).toEqual([4, 2, 12, 4, 8]);
  expect(new Set(twice.stories.map((s) => s.id)).size).toBe(2);
  expect(twice.characters.map((c) => c.name).sort()).toEqual(['Bo', 'Bo (copy)', 'Mira', 'Mira (copy)']);

  // 4. Hostile bundles: one sentence each, and not one record more.
  const enc = (s: string) => new TextEncoder().encode(s);
  const traversal = Buffer.from(
    buildZip([
      { name: 'mimetype', content: enc('application/vnd.storyloom.bundle+zip'), method: 0 },
      { name: '../evil.png', content: enc('not really'), method: 0 },
    ]),
  );
  await importFile(other, 'evil.storyloom', traversal);
  await expect(other.getByTestId('import-error')).toContainText('“evil.storyloom”');
  await expect(other.getByTestId('import-error')).toContainText('../evil.png');
  await expect(other.getByTestId('import-error')).toContainText('Nothing was imported.');
  // A picture that is not what its name says (same size, other bytes), in an otherwise perfect zip:
  // refused when the pictures are checked, after the preview, before anything is written.
  const entries = unzipSync(new Uint8Array(bundle));
  const names = Object.keys(entries);
  const victim = names.find((n) => n.startsWith('images/'))!;
  const forged = new Uint8Array(entries[victim]!);
  forged[forged.length - 20] = (forged[forged.length - 20] ?? 0) ^ 0xff;
  const tampered = Buffer.from(
    buildZip(names.map((name) => ({ name, content: name === victim ? forged : entries[name]!, method: 0 }))),
  );
  await importFile(other, 'tampered.storyloom', tampered);
  await expect(other.getByTestId('import-preview')).toBeVisible();
  await other.getByLabel('Import as a copy (both are kept)').check();
  await other.getByTestId('import-commit').click();
  await expect(other.getByTestId('import-error')).toContainText('“tampered.storyloom”');
  await expect(other.getByTestId('import-error')).toContainText('its SHA-256 differs');
  expect(counts(await dump(other))).toEqual(counts(twice));
  expect(errors).toEqual([]);
  await other.context().close();
});

test('a set of characters ticked in the Library travels alone: exactly those, with their pictures', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await createCharacter(page, 'Mira', 3);
  await createCharacter(page, 'Bo', 4, 'black');
  await createCharacter(page, 'Ada', 5, 'grey');
  await createStory(page, 'Ada and Mira', [['Ada', 'Mira']]);
  await page.goto('/#/library');
  await expect(page.getByTestId('count-character')).toHaveText('3');
  await expect(page.getByTestId('library-selection')).toHaveCount(0);
  // Ticked from the keyboard: focus each box and press Space.
  for (const name of ['Mira', 'Ada']) {
    const box = page.getByRole('checkbox', { name: `Select ${name} for a bundle` });
    await box.focus();
    await page.keyboard.press('Space');
    await expect(box).toBeChecked();
  }
  const selection = page.getByTestId('library-selection');
  await expect(selection.getByRole('heading')).toHaveText('2 selected characters');
  const download = page.waitForEvent('download');
  await selection.getByTestId('export-run').click();
  const file = await download;
  await expect(selection.getByTestId('export-status')).toContainText(
    'Exported 0 stories, 2 characters, 0 panels and 2 pictures',
  );
  const bundle = await readFile((await file.path())!);
  const source = await dump(page);
  const shaOf = (d: Dump, name: string) => {
    const c = d.characters.find((x) => x.name === name)!;
    return (c.templates as { imageId: string }[]).map((t) => d.imageSha[t.imageId]);
  };

  const other = await freshPage(browser, baseURL!);
  other.on('pageerror', (e) => errors.push(e.message));
  await importFile(other, file.suggestedFilename(), bundle);
  await expect(other.getByTestId('import-preview')).toContainText('2 characters');
  await other.getByTestId('import-commit').click();
  await expect(other.getByTestId('import-status')).toContainText('Imported 0 stories, 2 characters');
  const arrived = await dump(other);
  expect(arrived.characters.map((c) => c.name).sort()).toEqual(['Ada', 'Mira']);
  expect(counts(arrived)).toEqual([2, 0, 0, 0, 2]);
  for (const name of ['Ada', 'Mira']) {
    expect(shaOf(arrived, name)).toEqual(shaOf(source, name));
    expect(shaOf(arrived, name).every((s) => typeof s === 'string' && s.length === 64)).toBe(true);
  }
  const ids = (d: Dump) => d.characters.map((c) => c.id).sort();
  expect(ids(arrived)).toEqual(
    source.characters
      .filter((c) => c.name !== 'Bo')
      .map((c) => c.id)
      .sort(),
  );
  // Clearing the selection takes the bundle section away.
  await page.getByTestId('selection-clear').click();
  await expect(page.getByTestId('library-selection')).toHaveCount(0);
  expect(errors).toEqual([]);
  await other.context().close();
});

/** The files in the origin's private file system (where exports are spooled before a download). */
function privateFiles(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const out: string[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
      for await (const [name, handle] of (
        dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
      ).entries()) {
        if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
        else out.push(`${prefix}${name}`);
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    return out.sort();
  });
}

test.describe('cancel', () => {
  // Every picture an export or import handles waits this long: the tiny bundles are too quick to cancel.
  const SLOW: Hooks = { ...HOOKS, shareStepDelayMs: 400 };
  test.use({ hooks: SLOW });

  test('a cancelled export stops, saves nothing and leaves the export usable; a cancelled import writes nothing', async ({
    page,
    browser,
    baseURL,
  }) => {
    test.setTimeout(180_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await createCharacter(page, 'Mira', 3);
    await createCharacter(page, 'Bo', 4, 'black');
    await createCharacter(page, 'Ada', 5, 'grey');
    await page.goto('/#/library');
    await page.getByTestId('library-share').locator('summary').click();
    const exporter = page.getByTestId('export-characters');
    let downloads = 0;
    page.on('download', () => downloads++);

    // 1. Cancel while the zip is being written (the temporary file exists by then).
    await exporter.getByTestId('export-run').click();
    await expect(exporter.getByText(/Exporting: writing pictures/)).toBeVisible({ timeout: 30_000 });
    // Chromium writes through a `.crswap` file next to the target until the stream is closed.
    expect(await privateFiles(page)).toContain('exports/characters.storyloom');
    await exporter.getByTestId('export-cancel').click();
    await expect(exporter.getByTestId('export-error')).toHaveText(/Export cancelled; nothing was saved\./, {
      timeout: 30_000,
    });
    await expect(exporter.getByTestId('export-cancel')).toHaveCount(0);
    expect(await privateFiles(page)).toEqual([]);
    // 2. Cancel while the pictures are read and hashed (before any file).
    await exporter.getByTestId('export-run').click();
    await expect(exporter.getByText(/Exporting: checking pictures/)).toBeVisible({ timeout: 30_000 });
    await exporter.getByTestId('export-cancel').click();
    await expect(exporter.getByTestId('export-error')).toHaveText(/Export cancelled; nothing was saved\./, {
      timeout: 30_000,
    });
    expect(await privateFiles(page)).toEqual([]);
    expect(downloads).toBe(0);
    // 3. Usable again: the same export, left alone, ends in a download.
    const download = page.waitForEvent('download', { timeout: 60_000 });
    await expect(exporter.getByTestId('export-run')).toBeEnabled();
    await exporter.getByTestId('export-run').click();
    const file = await download;
    await expect(exporter.getByTestId('export-status')).toContainText('Exported 0 stories, 3 characters');
    const bundle = await readFile((await file.path())!);
    expect(downloads).toBe(1);

    // 4. Import it into a fresh profile, cancel while the pictures are checked: nothing is written.
    const other = await freshPage(browser, baseURL!, SLOW);
    other.on('pageerror', (e) => errors.push(e.message));
    await createCharacter(other, 'Zoe', 9, 'blue'); // something there already, that must stay as it is
    const before = await dump(other);
    expect(counts(before)).toEqual([1, 0, 0, 0, 1]);
    await importFile(other, file.suggestedFilename(), bundle);
    await expect(other.getByTestId('import-preview')).toContainText('3 characters');
    await other.getByTestId('import-commit').click();
    // The pictures are checked one by one before the single transaction that writes everything: a cancel
    // now is a cancel before the commit.
    await expect(other.getByText(/Importing: checking pictures/)).toBeVisible({ timeout: 30_000 });
    await other.getByTestId('import-cancel').click();
    await expect(other.getByTestId('import-error')).toHaveText(/Import cancelled; nothing was imported\./, {
      timeout: 30_000,
    });
    const after = await dump(other);
    expect(counts(after)).toEqual(counts(before));
    expect(normalised(after)).toEqual(normalised(before));
    // The preview stays: the artist can still import, and then everything arrives.
    await expect(other.getByTestId('import-commit')).toBeEnabled();
    await other.getByTestId('import-commit').click();
    await expect(other.getByTestId('import-status')).toContainText('Imported 0 stories, 3 characters', {
      timeout: 30_000,
    });
    expect(counts(await dump(other))).toEqual([4, 0, 0, 0, 4]);
    expect(errors).toEqual([]);
    await other.context().close();
  });
});
