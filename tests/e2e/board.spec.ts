/**
 * The storyboard: a six-panel story built on the board, reordered by drag and by keyboard, each
 * character in one colour across panels, a panel's picture under its region boxes — and the empty
 * studio that explains the workflow. Real Chromium, IndexedDB and engine worker on the tiny pack.
 */
import type { Page } from '@playwright/test';
import { createCharacter } from './helpers/library';
import { expect, test, TINY } from './helpers/studio';
import { pickCharacter } from './helpers/cast';

test.use({ hooks: { ...TINY, judgeOff: true }, viewport: { width: 1280, height: 800 } });

const CASTS: string[][] = [['Mira'], ['Mira', 'Bo'], ['Bo'], ['Bo', 'Mira'], [], ['Mira']];
const WORDS = ['one', 'two', 'three', 'four', 'five', 'six'];

const cards = (page: Page) => page.getByTestId('panel-item');
const captions = (...order: number[]) => order.map((n) => new RegExp(`Caption ${WORDS[n - 1]}\\b`));

async function colours(page: Page): Promise<Record<string, string>> {
  const boxes = page.getByTestId('region-box');
  const out: Record<string, string> = {};
  for (let i = 0; i < (await boxes.count()); i++) {
    const box = boxes.nth(i);
    out[(await box.getAttribute('data-name')) as string] = (await box.getAttribute('data-colour')) as string;
  }
  return out;
}

test('the empty studio explains the three steps and names the installed pack', async ({ page }) => {
  await page.goto('/#/library');
  const start = page.getByTestId('getting-started');
  await expect(start.getByRole('listitem')).toHaveCount(3);
  await expect(start.getByRole('listitem').nth(0)).toContainText('Characters.');
  await expect(start.getByRole('listitem').nth(1)).toContainText('Story.');
  await expect(start.getByRole('listitem').nth(2)).toContainText('Run.');
  await expect(page.getByTestId('getting-started-pack')).toContainText('Installed model pack:');
  await createCharacter(page, 'Solo', 3);
  await page.goto('/#/library');
  await expect(page.getByTestId('count-character')).toHaveText('1');
  await expect(page.getByTestId('getting-started')).toHaveCount(0);
});

test('a six-panel story on the board: drag and keyboard reorder, one colour per character, the picture under the boxes', async ({
  page,
}) => {
  await createCharacter(page, 'Mira', 1, 'red');
  await createCharacter(page, 'Bo', 2, 'black');
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('Board test');
  for (const [i, names] of CASTS.entries()) {
    if (i > 0) await page.getByRole('button', { name: 'Add panel' }).click();
    await expect(page.getByRole('heading', { name: `Panel ${i + 1}`, exact: true })).toBeVisible();
    for (const name of names) {
      await pickCharacter(page, name);
      await page.getByRole('button', { name: 'Add to panel' }).click();
    }
    await page.getByLabel('Caption').fill(`Caption ${WORDS[i]}`);
  }
  await expect(cards(page)).toHaveCount(6);
  await expect(cards(page)).toHaveText(captions(1, 2, 3, 4, 5, 6));
  await expect(cards(page).nth(4)).toContainText('Scene only');

  // One colour per character, whatever its place in a panel's cast (Bo is first in panel 4).
  await page.getByRole('button', { name: /^Panel 2\b/ }).click();
  const second = await colours(page);
  await page.getByRole('button', { name: /^Panel 4\b/ }).click();
  const fourth = await colours(page);
  expect(Object.keys(second).sort()).toEqual(['Bo', 'Mira']);
  expect(fourth).toEqual(second);
  expect(second.Mira).not.toBe(second.Bo);
  const chips = cards(page).nth(3).getByTestId('board-cast');
  await expect(chips.nth(0)).toHaveAttribute('data-colour', second.Bo as string);
  await expect(chips.nth(1)).toHaveAttribute('data-colour', second.Mira as string);

  // Drag panel 6 onto the first place.
  await cards(page).nth(5).dragTo(cards(page).nth(0));
  await expect(cards(page)).toHaveText(captions(6, 1, 2, 3, 4, 5));
  // The keyboard: focus the card of "two" (now third) and move it one later, then to the start.
  const two = page.getByRole('button', { name: /^Panel 3\b/ });
  await two.focus();
  await page.keyboard.press('Alt+ArrowRight');
  await expect(cards(page)).toHaveText(captions(6, 1, 3, 2, 4, 5));
  await expect(page.getByRole('button', { name: /^Panel 4\b/ })).toBeFocused();
  await page.keyboard.press('Alt+Home');
  await expect(cards(page)).toHaveText(captions(2, 6, 1, 3, 4, 5));
  // Duplicate and delete from the card's tools.
  await page.getByRole('button', { name: 'Duplicate panel 2' }).click();
  await expect(cards(page)).toHaveText(captions(2, 6, 6, 1, 3, 4, 5));
  await page.getByRole('button', { name: 'Delete panel 3' }).click();
  await expect(cards(page)).toHaveText(captions(2, 6, 1, 3, 4, 5));

  await page.getByRole('button', { name: 'Save story' }).click();
  // The address may already carry the id (an autosave adopted it): wait for this save itself.
  await expect(page.getByTestId('form-status')).toContainText('Saved Board test');
  await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
  await page.reload();
  await expect(cards(page)).toHaveText(captions(2, 6, 1, 3, 4, 5));

  // Generate the first panel (Mira and Bo): its picture fills the board card and lies under the boxes.
  await page.getByRole('button', { name: /^Panel 1\b/ }).click();
  await expect(page.getByRole('heading', { name: 'Panel 1', exact: true })).toBeInViewport();
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await expect(page.getByTestId('region-picture')).toBeVisible({ timeout: 120_000 });
  await expect(cards(page).nth(0).getByTestId('board-thumb')).toBeVisible();
  expect(await colours(page)).toEqual(second);
  // The card keeps its picture when another panel is opened.
  await page.getByRole('button', { name: /^Panel 2\b/ }).click();
  await expect(cards(page).nth(0).getByTestId('board-thumb')).toBeVisible();
  await page.getByRole('button', { name: /^Panel 1\b/ }).click();
  // The attempts as a filmstrip: one frame, the one shown.
  await expect(page.getByTestId('strip-frame')).toHaveCount(1);
  await expect(page.getByTestId('strip-frame').first()).toHaveAttribute('aria-current', 'true');
});

test.describe('with the judge', () => {
  test.use({ hooks: TINY, viewport: { width: 1280, height: 800 } });

  test('the report of a twin panel in plain words: verdict first, folded rows, Accept in view at 1280×800', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    await createCharacter(page, 'Mira', 1, 'red');
    await createCharacter(page, 'Bo', 2, 'black');
    await page.goto('/#/story/new');
    await page.getByLabel('Title', { exact: true }).fill('Report test');
    for (const name of ['Mira', 'Bo']) {
      await pickCharacter(page, name);
      await page.getByRole('button', { name: 'Add to panel' }).click();
    }
    await page.getByRole('button', { name: 'Add panel' }).click();
    await page.getByRole('button', { name: 'Save story' }).click();
    await expect(page.getByTestId('form-status')).toContainText('Saved Report test');
    await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: /^Panel 1\b/ }).click();
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const report = page.getByTestId('judge-report');
    await expect(report.getByTestId('judge-verdict')).toBeVisible({ timeout: 180_000 });

    // The twins' detector finds figures everywhere: many raw "extra" checks, folded into one row.
    const raw = report.getByTestId('judge-check');
    const extras = await raw.evaluateAll(
      (els) => els.filter((e) => e.getAttribute('data-check-id')?.startsWith('cast.extra#')).length,
    );
    console.log(`the twin panel's report: ${extras} raw extra-figure checks`);
    expect(extras).toBeGreaterThan(20);
    const rows = report.getByTestId('judge-row');
    expect(await rows.count()).toBeLessThanOrEqual(12);
    const folded = report.locator('[data-testid="judge-row"][data-count]');
    await expect(folded.first()).toBeVisible();
    expect(
      Math.max(...(await folded.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count')))))),
    ).toBe(extras);
    // The verdict line comes before anything else the report says, in words, not numbers.
    const verdict = await report.getByTestId('judge-verdict').textContent();
    expect(verdict).not.toMatch(/score|threshold|\d\.\d/);
    const order = await report.evaluate((el) => {
      const v = el.querySelector('[data-testid="judge-verdict"]')!;
      const firstRow = el.querySelector('[data-testid="judge-row"]')!;
      const accept = [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Accept')!;
      const before = (a: Element, b: Element) =>
        !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return { verdictBeforeAccept: before(v, accept), acceptBeforeRows: before(accept, firstRow) };
    });
    expect(order).toEqual({ verdictBeforeAccept: true, acceptBeforeRows: true });

    // Open the panel from the board, as an artist returning to it: Accept is in view without scrolling.
    await page.getByRole('button', { name: /^Panel 2\b/ }).click();
    await page.getByRole('button', { name: /^Panel 1\b/ }).click();
    await expect(report.getByTestId('judge-verdict')).toBeVisible();
    await expect(report.getByRole('button', { name: 'Accept', exact: true })).toBeInViewport();
    await expect(report.getByTestId('judge-verdict')).toBeInViewport();
    // Expanded, every finding shows.
    const expand = report.getByTestId('judge-expand');
    if ((await rows.count()) === 12) {
      await expand.click();
      expect(await rows.count()).toBeGreaterThan(12);
    }
  });
});
