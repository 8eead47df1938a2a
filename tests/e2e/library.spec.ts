import { expect, test } from './helpers/studio';
import type { Locator, Page } from '@playwright/test';
import { makePng, sha256 } from './helpers/png';
import { pickCharacter } from './helpers/cast';

// The whole studio against the real service: real Chromium, real IndexedDB. Every test gets a
// fresh browser context, so a fresh, empty database.

const MIRA_PNG = makePng(64, 48, 1);
const TOMAS_PNG = makePng(40, 40, 2);

interface NewCharacter {
  name: string;
  png: Buffer;
  fields?: Record<string, string>;
  wardrobe?: { item: string; color: string };
}

async function createCharacter(page: Page, c: NewCharacter): Promise<string> {
  await page.goto('/#/library');
  await page.getByRole('tab', { name: /Characters/ }).click();
  await page.getByRole('link', { name: 'New character' }).click();
  await expect(page).toHaveURL(/#\/character\/new$/);
  await page.getByLabel('Name', { exact: true }).fill(c.name);
  for (const [label, value] of Object.entries(c.fields ?? {}))
    await page.getByLabel(label, { exact: true }).fill(value);
  if (c.wardrobe) {
    await page.getByRole('button', { name: 'Add wardrobe item' }).click();
    await page.getByLabel('Item 1', { exact: true }).fill(c.wardrobe.item);
    await page.getByLabel('Colour of item 1').fill(c.wardrobe.color);
  }
  const verified = page.getByLabel('Verified template');
  await expect(verified).toBeDisabled(); // no reference image yet
  await page
    .getByLabel('Add reference images')
    .setInputFiles({ name: `${c.name}.png`, mimeType: 'image/png', buffer: c.png });
  await expect(page.getByTestId('template-image')).toHaveCount(1);
  await expect(verified).toBeEnabled();
  await verified.check();
  await page.getByRole('button', { name: 'Save character' }).click();
  await expect(page.getByTestId('form-status')).toHaveText(`Saved ${c.name}.`);
  await expect(page).toHaveURL(/#\/character\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}

/** SHA-256 (hex) and size of the bytes behind a displayed image (its object URL). */
async function displayedImage(img: Locator): Promise<{ hash: string; size: number }> {
  return img.evaluate(async (el: HTMLImageElement) => {
    const buf = await (await fetch(el.src)).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', buf);
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { hash, size: buf.byteLength };
  });
}

const region = (page: Page, name: string) => page.getByRole('group', { name: `${name} region` });
const regionValues = async (page: Page, name: string) => {
  const g = region(page, name);
  const read = async (f: string) => Number(await g.getByLabel(f, { exact: true }).inputValue());
  return { x: await read('x'), y: await read('y'), w: await read('w'), h: await read('h') };
};
async function typeRegion(page: Page, name: string, field: 'x' | 'y' | 'w' | 'h', value: string) {
  const input = region(page, name).getByLabel(field, { exact: true });
  await input.fill(value);
  await input.press('Enter');
}

async function libraryCount(page: Page, kind: 'character' | 'story'): Promise<string> {
  await page.goto('/#/library');
  const count = page.getByTestId(`count-${kind}`);
  await expect(count).not.toHaveText('…');
  return (await count.textContent())!.trim();
}

test('characters and a story survive a reload: fields, cast, poses, regions and image bytes', async ({
  page,
}) => {
  // 1. Two verified characters with reference images.
  const miraId = await createCharacter(page, {
    name: 'Mira',
    png: MIRA_PNG,
    fields: { 'Art style': 'soft watercolour', Hair: 'short curly black hair', Eyes: 'large brown eyes' },
    wardrobe: { item: 'scarf', color: 'red' },
  });
  await page.getByLabel('Accessories').fill('round glasses\nbrass compass');
  await page.getByRole('button', { name: 'Save character' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Saved Mira.');
  await createCharacter(page, { name: 'Tomas', png: TOMAS_PNG, fields: { Hair: 'straight blond hair' } });

  // 2. A story with three panels.
  await page.goto('/#/library');
  await page.getByRole('tab', { name: /Stories/ }).click();
  await page.getByRole('link', { name: 'New story' }).click();
  await page.getByLabel('Title', { exact: true }).fill('The Kite');
  await page.getByLabel('Premise').fill('Two friends chase a runaway kite across the harbour.');
  await page.getByLabel('Style', { exact: true }).fill('picture book');

  // Panel 1: both characters, different poses and expressions.
  await pickCharacter(page, 'Mira');
  await page.getByRole('button', { name: 'Add to panel' }).click();
  await pickCharacter(page, 'Tomas');
  await page.getByRole('button', { name: 'Add to panel' }).click();
  await page.getByLabel('Mira: pose').selectOption('jumping');
  await page.getByLabel('Mira: expression').selectOption('laughing');
  await page.getByLabel('Tomas: pose').selectOption('sitting');
  await page.getByLabel('Tomas: expression').selectOption('sad');
  await page.getByLabel('Tomas: facing').selectOption('profile-left');
  await page.getByLabel('Mira: action').fill('reaching for the kite string');

  // Region boxes: shrink Mira with a number, then drag her box with the mouse.
  await typeRegion(page, 'Mira', 'w', '0.3');
  await typeRegion(page, 'Mira', 'h', '0.6');
  expect(await regionValues(page, 'Mira')).toEqual({ x: 0, y: 0.1, w: 0.3, h: 0.6 });
  const miraBox = page.locator('[data-testid="region-box"][data-name="Mira"]');
  const panelBox = (await page.getByTestId('region-panel').boundingBox())!;
  const b = (await miraBox.boundingBox())!;
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  await page.mouse.down();
  await page.mouse.move(
    b.x + b.width / 2 + panelBox.width * 0.1,
    b.y + b.height / 2 + panelBox.height * 0.2,
    {
      steps: 5,
    },
  );
  await page.mouse.up();
  const dragged = await regionValues(page, 'Mira');
  expect(dragged.x).toBeCloseTo(0.1, 1);
  expect(dragged.y).toBeCloseTo(0.3, 1);
  expect(dragged.w).toBe(0.3);
  // Dragging far past the edge stays clamped inside the panel.
  const b2 = (await miraBox.boundingBox())!;
  await page.mouse.move(b2.x + 10, b2.y + 10);
  await page.mouse.down();
  await page.mouse.move(b2.x + 10 + panelBox.width * 2, b2.y + 10, { steps: 4 });
  await page.mouse.up();
  const clamped = await regionValues(page, 'Mira');
  expect(clamped.x + clamped.w).toBeCloseTo(1, 6);
  // And back via the numbers.
  await typeRegion(page, 'Mira', 'x', '0.05');
  await typeRegion(page, 'Tomas', 'x', '0.55');
  await typeRegion(page, 'Tomas', 'w', '0.4');
  const miraRegion = await regionValues(page, 'Mira');
  const tomasRegion = await regionValues(page, 'Tomas');
  expect(miraRegion.x).toBe(0.05);
  expect(tomasRegion).toEqual({ x: 0.55, y: 0.1, w: 0.4, h: 0.9 });

  // Scene, composition, words.
  await page.getByLabel('Location').fill('the harbour wall');
  await page.getByLabel('Time of day').selectOption('dusk');
  await page.getByLabel('Weather').fill('windy');
  await page.getByLabel('Lighting').fill('golden backlight');
  await page.getByLabel('Mood').fill('hopeful');
  await page.getByLabel('Shot size').selectOption('wide');
  await page.getByLabel('Camera angle').selectOption('low');
  await page.getByLabel('Caption').fill('Caption one: the kite breaks free.');
  await page.getByRole('button', { name: 'Add line' }).click();
  await page.getByLabel('Speaker of line 1').selectOption({ label: 'Mira' });
  await page.getByLabel('Line 1', { exact: true }).fill('Catch it!');
  await page.getByRole('button', { name: 'Add line' }).click();
  await page.getByLabel('Speaker of line 2').selectOption({ label: 'Narrator' });
  await page.getByLabel('Line 2', { exact: true }).fill('But the wind had other plans.');

  // Panels 2 and 3, then reorder with the keyboard-accessible buttons.
  await page.getByRole('button', { name: 'Add panel' }).click();
  await expect(page.getByRole('heading', { name: 'Panel 2' })).toBeVisible();
  await pickCharacter(page, 'Tomas');
  await page.getByRole('button', { name: 'Add to panel' }).click();
  await page.getByLabel('Tomas: expression').selectOption('smiling');
  await page.getByLabel('Caption').fill('Caption two: Tomas grins.');
  await page.getByRole('button', { name: 'Add panel' }).click();
  await expect(page.getByRole('heading', { name: 'Panel 3' })).toBeVisible();
  await page.getByLabel('Caption').fill('Caption three: the end.');
  await page.getByRole('button', { name: 'Move panel 3 up' }).click(); // order: one, three, two
  await expect(page.getByTestId('panel-item')).toHaveText([/Caption one/, /Caption three/, /Caption two/]);

  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Saved The Kite (3 panels).');
  await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
  const storyUrl = page.url();

  // 3. Reload: everything is still there.
  await page.reload();
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('The Kite');
  await expect(page.getByLabel('Premise')).toHaveValue(
    'Two friends chase a runaway kite across the harbour.',
  );
  await expect(page.getByLabel('Style', { exact: true })).toHaveValue('picture book');
  await expect(page.getByTestId('panel-item')).toHaveText([/Caption one/, /Caption three/, /Caption two/]);
  await page.getByRole('button', { name: /^Panel 1/ }).click();
  await expect(page.getByTestId('cast-member')).toHaveCount(2);
  await expect(page.getByLabel('Mira: pose')).toHaveValue('jumping');
  await expect(page.getByLabel('Mira: expression')).toHaveValue('laughing');
  await expect(page.getByLabel('Mira: action')).toHaveValue('reaching for the kite string');
  await expect(page.getByLabel('Tomas: pose')).toHaveValue('sitting');
  await expect(page.getByLabel('Tomas: expression')).toHaveValue('sad');
  await expect(page.getByLabel('Tomas: facing')).toHaveValue('profile-left');
  expect(await regionValues(page, 'Mira')).toEqual(miraRegion);
  expect(await regionValues(page, 'Tomas')).toEqual(tomasRegion);
  await expect(page.getByLabel('Location')).toHaveValue('the harbour wall');
  await expect(page.getByLabel('Time of day')).toHaveValue('dusk');
  await expect(page.getByLabel('Weather')).toHaveValue('windy');
  await expect(page.getByLabel('Lighting')).toHaveValue('golden backlight');
  await expect(page.getByLabel('Mood')).toHaveValue('hopeful');
  await expect(page.getByLabel('Shot size')).toHaveValue('wide');
  await expect(page.getByLabel('Camera angle')).toHaveValue('low');
  await expect(page.getByLabel('Caption')).toHaveValue('Caption one: the kite breaks free.');
  await expect(page.getByTestId('dialogue-line')).toHaveCount(2);
  await expect(page.getByLabel('Speaker of line 1')).toHaveValue(miraId);
  await expect(page.getByLabel('Line 1', { exact: true })).toHaveValue('Catch it!');
  await expect(page.getByLabel('Speaker of line 2')).toHaveValue('');
  await page.getByRole('button', { name: /^Panel 3/ }).click();
  await expect(page.getByLabel('Tomas: expression')).toHaveValue('smiling');
  expect(page.url()).toBe(storyUrl);

  // The characters, and the very bytes that were uploaded.
  await page.goto(`/#/character/${miraId}`);
  await page.reload();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Mira');
  await expect(page.getByLabel('Art style')).toHaveValue('soft watercolour');
  await expect(page.getByLabel('Hair')).toHaveValue('short curly black hair');
  await expect(page.getByLabel('Item 1', { exact: true })).toHaveValue('scarf');
  await expect(page.getByLabel('Colour of item 1')).toHaveValue('red');
  await expect(page.getByLabel('Accessories')).toHaveValue('round glasses\nbrass compass');
  await expect(page.getByLabel('Verified template')).toBeChecked();
  const img = page.getByTestId('template-image');
  await expect(img).toHaveCount(1);
  expect(await displayedImage(img)).toEqual({ hash: sha256(MIRA_PNG), size: MIRA_PNG.length });

  await page.goto('/#/library');
  await page.getByRole('tab', { name: /Characters/ }).click();
  const tomasRow = page.getByTestId('library-row').filter({ hasText: 'Tomas' });
  await expect(tomasRow).toContainText('Verified');
  await tomasRow.getByRole('link').click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Tomas');
  await expect(page.getByTestId('template-image')).toHaveCount(1);
  expect(await displayedImage(page.getByTestId('template-image'))).toEqual({
    hash: sha256(TOMAS_PNG),
    size: TOMAS_PNG.length,
  });
});

test('bad input shows its sentence and nothing is saved', async ({ page }) => {
  // Empty name.
  await page.goto('/#/character/new');
  await page.getByLabel('Art style').fill('ink');
  await page.getByRole('button', { name: 'Save character' }).click();
  await expect(page.getByRole('alert')).toContainText('A character needs a name');
  await page.reload();
  expect(await libraryCount(page, 'character')).toBe('0');

  // A text file as the first image of a new character: refused, and the character is not kept.
  await page.goto('/#/character/new');
  await page.getByLabel('Name', { exact: true }).fill('Ghost');
  await page
    .getByLabel('Add reference images')
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all') });
  await expect(page.getByRole('alert')).toContainText(/image/i);
  await expect(page.getByTestId('template-image')).toHaveCount(0);
  await page.reload();
  expect(await libraryCount(page, 'character')).toBe('0');

  // A stored character: a text file named .png and an oversized file change nothing.
  const miraId = await createCharacter(page, { name: 'Mira', png: MIRA_PNG });
  const files = [
    {
      name: 'fake.png',
      mimeType: 'image/png',
      buffer: Buffer.from('this is plain text pretending to be a png'),
    },
    {
      name: 'huge.png',
      mimeType: 'image/png',
      buffer: Buffer.concat([MIRA_PNG, Buffer.alloc(11 * 1024 * 1024)]),
    },
  ];
  for (const [i, file] of files.entries()) {
    await page.getByLabel('Add reference images').setInputFiles(file);
    const alert = page.getByRole('alert');
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(i === 0 ? /image/i : /MB/);
    await expect(alert).not.toContainText(/at \w+ \(|\.ts:\d+/); // never a stack trace
    await page.reload();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Mira');
    await expect(page.getByTestId('template-image')).toHaveCount(1);
    expect(await displayedImage(page.getByTestId('template-image'))).toEqual({
      hash: sha256(MIRA_PNG),
      size: MIRA_PNG.length,
    });
  }

  // A region box outside the panel, typed into the numbers.
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('Boxes');
  await pickCharacter(page, 'Mira');
  await page.getByRole('button', { name: 'Add to panel' }).click();
  await typeRegion(page, 'Mira', 'w', '0.5');
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Saved Boxes (1 panel).');
  await typeRegion(page, 'Mira', 'x', '1.2');
  await page.getByLabel('Caption').fill('this must not be saved');
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-error')).toContainText('region box');
  await page.reload();
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('Boxes');
  expect(await regionValues(page, 'Mira')).toEqual({ x: 0, y: 0.1, w: 0.5, h: 0.9 });
  await expect(page.getByLabel('Caption')).toHaveValue('');

  // An empty title on a new story: nothing at all is written.
  await page.goto('/#/story/new');
  await page.getByLabel('Premise').fill('An untitled tale.');
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-error')).toContainText('A story needs a title');
  await page.reload();
  expect(await libraryCount(page, 'story')).toBe('1');
  expect(miraId).toMatch(/[0-9a-f-]{36}/);
});

test('library search finds a character by part of the name and a story by a premise word', async ({
  page,
}) => {
  await createCharacter(page, { name: 'Mira', png: MIRA_PNG });
  await createCharacter(page, { name: 'Tomas', png: TOMAS_PNG });
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('The Kite');
  await page.getByLabel('Premise').fill('Two friends chase a runaway kite across the harbour.');
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-status')).toContainText('Saved The Kite');
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('Night Market');
  await page.getByLabel('Premise').fill('Lanterns everywhere.');
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-status')).toContainText('Saved Night Market');

  await page.goto('/#/library');
  await page.getByRole('tab', { name: /Characters/ }).click();
  await expect(page.getByTestId('count-character')).toHaveText('2');
  const rows = page.getByTestId('library-row');
  await expect(rows).toHaveCount(2);
  await page.getByLabel('Search characters').fill('ir');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Mira');
  await expect(rows.first().locator('img')).toBeVisible(); // thumbnail from the stored image

  await page.getByRole('tab', { name: /Stories/ }).click();
  await expect(page.getByTestId('count-story')).toHaveText('2');
  await page.getByLabel('Search stories').fill('harbour');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('The Kite');
  await expect(rows.first()).toContainText('1 panel');
  await page.getByLabel('Search stories').fill('');
  await expect(rows).toHaveCount(2);
  await rows.filter({ hasText: 'The Kite' }).getByRole('link').click();
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('The Kite');
});

test('settings: bad input is refused, good input survives a reload and sets the theme', async ({ page }) => {
  await page.goto('/#/settings');
  await expect(page.getByRole('link', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('region', { name: 'Storage' }).getByTestId('storage-meter')).toContainText(
    /Storage: .* used/,
  );
  // Size and guidance are the active pack's (the tiny pack draws 64 × 64): only the steps are the artist's.
  await expect(page.getByTestId('drawing-size')).toContainText('64 × 64 pixels');
  await expect(page.getByLabel('Width (px)')).toHaveCount(0);
  const steps = page.getByLabel('Steps');
  await expect(steps).toHaveValue('4');
  await steps.fill('0');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('form-error')).toContainText('Steps must be a whole number from 1 to 100.');
  await page.reload();
  await expect(steps).toHaveValue('4');

  await steps.fill('3');
  await page.getByLabel('Max attempts per panel').fill('3');
  await page.getByLabel('Theme').selectOption('dark');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Settings saved.');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(steps).toHaveValue('3');
  await expect(page.getByLabel('Max attempts per panel')).toHaveValue('3');
  await expect(page.getByLabel('Theme')).toHaveValue('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  // The region editor draws panels in the aspect the pack draws (64:64 = 1).
  await page.goto('/#/models');
  await expect(page.getByRole('heading', { name: 'Models', level: 1 })).toBeVisible();
  await page.goto('/#/story/new');
  const panel = (await page.getByTestId('region-panel').boundingBox())!;
  expect(panel.width / panel.height).toBeCloseTo(1, 1);
});

test('a newer version in another tab turns this tab stale: a banner asks to reload', async ({
  page,
  context,
}) => {
  await page.goto('/#/library');
  await expect(page.getByTestId('count-character')).toHaveText('0');
  // Another tab opens the same database at a higher version, as a newer StoryLoom would.
  const other = await context.newPage();
  await other.goto('/icon.svg');
  await other.evaluate(async () => {
    const info = (await indexedDB.databases()).find((d) => d.name === 'storyloom');
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open('storyloom', (info?.version ?? 1) + 1);
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
  });
  const banner = page.getByTestId('stale-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/reload/i);
  await expect(banner.getByRole('button', { name: 'Reload' })).toBeVisible();
  // Working on is refused with the same sentence, never a stack trace.
  await page.getByRole('link', { name: 'New character' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Late');
  await page.getByRole('button', { name: 'Save character' }).click();
  await expect(page.getByTestId('form-error')).toHaveCount(0);
  await expect(banner).toBeVisible();
});
