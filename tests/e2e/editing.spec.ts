import { expect, test } from './helpers/studio';
import type { Page } from '@playwright/test';
import { createStory } from './helpers/library';

// No lost work in the editors: autosave, undo/redo, leave guards and length limits at the field,
// in real Chromium against the real IndexedDB.

test.use({ viewport: { width: 1280, height: 800 } });

const saveState = (page: Page) => page.getByTestId('save-state');
const caption = (page: Page) => page.getByLabel('Caption', { exact: true });

test('an edit to a stored story is autosaved, survives leaving and a reload, and can be undone', async ({
  page,
}) => {
  const storyId = await createStory(page, 'Ferry', [[]]);
  await expect(saveState(page)).toHaveText('All changes saved');
  // Opened afresh, there is nothing to undo yet.
  await page.reload();
  await expect(caption(page)).toHaveValue('');
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Redo' })).toBeDisabled();

  // 1. An edit, no Save click: it is written about a second after typing stops.
  await caption(page).fill('The ferry leaves at dawn.');
  await expect(saveState(page)).toHaveText('Saving…');
  await expect(saveState(page)).toHaveText('All changes saved');

  // 2. Away and back, then a reload: the edit is in the database.
  await page.getByRole('link', { name: 'Library', exact: true }).first().click();
  await expect(page).toHaveURL(/#\/library$/);
  await page.goto(`/#/story/${storyId}`);
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn.');
  await page.reload();
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn.');

  // 3. Undo a field edit with the keyboard while the field has focus; redo and undo with the buttons.
  await caption(page).fill('The ferry leaves at dawn. Gulls.');
  await caption(page).press('Control+z');
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn.');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn. Gulls.');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn.');

  // 4. Structural edits are steps too: adding a panel is undone as one.
  await page.getByRole('button', { name: 'Add panel' }).click();
  await expect(page.getByTestId('panel-item')).toHaveCount(2);
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('panel-item')).toHaveCount(1);
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn.');

  // 5. What undo restored is what is stored.
  await expect(saveState(page)).toHaveText('All changes saved');
  await page.reload();
  await expect(caption(page)).toHaveValue('The ferry leaves at dawn.');
  await expect(page.getByTestId('panel-item')).toHaveCount(1);
});

test('a 5,000-character name is refused at the field, is not saved and does not widen the page', async ({
  page,
}) => {
  await page.goto('/#/character/new');
  const name = page.getByLabel('Name', { exact: true });
  await expect(name).toBeVisible();
  const width = () => page.evaluate(() => document.documentElement.scrollWidth);
  const before = await width();

  await name.fill('N'.repeat(5000));
  const sentence = 'A character name must be at most 80 characters; this one has 5,000.';
  await expect(page.getByTestId('field-error')).toHaveText(sentence);
  await expect(page.getByTestId('field-counter').first()).toHaveText('5,000 / 80');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('NNNN');
  expect(await width()).toBe(before);

  // Saving is refused with the same sentence; the name is not cut to fit.
  await page.getByRole('button', { name: 'Save character' }).click();
  await expect(page.getByTestId('form-error')).toContainText(sentence);
  await expect(page).toHaveURL(/#\/character\/new$/);
  await expect(name).toHaveValue('N'.repeat(5000));
  expect(await width()).toBe(before);

  // Leaving asks first and says what would be lost; staying keeps the draft.
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.getByRole('link', { name: 'Library', exact: true }).first().click();
  await expect.poll(() => asked).toContain('cannot be saved');
  expect(asked).toContain(sentence);
  await expect(page).toHaveURL(/#\/character\/new$/);
  await expect(name).toHaveValue('N'.repeat(5000));

  // Leaving for real: nothing was stored.
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('link', { name: 'Library', exact: true }).first().click();
  await expect(page).toHaveURL(/#\/library$/);
  await expect(page.getByTestId('count-character')).toHaveText(/^0\b/);
});
