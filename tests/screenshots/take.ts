/**
 * The README's screenshots of the board and of the panel workspace, taken from the real studio:
 * serves the app built in dist/ (like the bench), makes two characters and a four-panel story
 * through the forms, generates two panels on the tiny pack (whose twins draw noise: the pictures
 * are not art, the layout is what is shown), and writes
 *   tests/screenshots/board.png      the board of the story
 *   tests/screenshots/workspace.png  one panel open in the workspace at 1280×800
 *   tests/screenshots/reader.png     the story's first page in the reader, lettered
 *
 *   npm run screenshots
 */
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { chromiumArgs } from '../../playwright.config';
import { BASE_URL, chromiumPath } from '../bench/config';
import { onCleanup, runMain } from '../bench/lifecycle';
import { serveApp } from '../bench/server';
import { addHooks, TINY } from '../e2e/helpers/hooks';
import { createCharacter } from '../e2e/helpers/library';
import { pickCharacter } from '../e2e/helpers/cast';

const OUT = import.meta.dirname;
const PANELS: {
  cast: string[];
  caption: string;
  location: string;
  lines: [speaker: string, text: string, kind?: string][];
}[] = [
  { cast: [], caption: 'The harbour at dawn.', location: 'a fishing harbour', lines: [] },
  {
    cast: ['Mira'],
    caption: 'Mira finds the kite.',
    location: 'the harbour wall',
    lines: [['Mira', 'Look! Someone lost a kite.']],
  },
  {
    cast: ['Mira', 'Bo'],
    caption: 'Bo wants it too.',
    location: 'the harbour wall',
    lines: [
      ['Bo', 'That one is mine!'],
      ['Mira', 'Finders keepers.', 'whisper'],
    ],
  },
  {
    cast: ['Bo', 'Mira'],
    caption: 'They fly it together.',
    location: 'a windy hilltop',
    lines: [['Mira', 'Higher, Bo!', 'shout']],
  },
];

async function generate(page: Page, seed: number): Promise<void> {
  await page.getByLabel('Seed').fill(String(seed));
  await page.getByLabel('Seed').dispatchEvent('change');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page
    .getByTestId('generate-status')
    .filter({ hasText: `seed ${seed}` })
    .waitFor({ timeout: 300_000 });
  await page.getByTestId('judge-verdict').waitFor({ timeout: 300_000 });
}

runMain('screenshots', async () => {
  await serveApp();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: chromiumArgs,
    headless: true,
  });
  onCleanup(() => browser.close());
  const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 } });
  await addHooks(context, TINY);
  const page = await context.newPage();

  await createCharacter(page, 'Mira', 1, 'red');
  await createCharacter(page, 'Bo', 2, 'black');
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('The kite');
  for (const [i, p] of PANELS.entries()) {
    if (i > 0) await page.getByRole('button', { name: 'Add panel' }).click();
    for (const name of p.cast) {
      await pickCharacter(page, name);
      await page.getByRole('button', { name: 'Add to panel' }).click();
    }
    await page.getByLabel('Caption').fill(p.caption);
    await page.getByLabel('Location').fill(p.location);
    for (const [j, [speaker, text, kind]] of p.lines.entries()) {
      await page.getByRole('button', { name: 'Add line' }).click();
      await page.getByLabel(`Speaker of line ${j + 1}`).selectOption({ label: speaker });
      await page.getByLabel(`Line ${j + 1}`, { exact: true }).fill(text);
      if (kind) await page.getByLabel(`How line ${j + 1} is said`).selectOption(kind);
    }
  }
  await page.getByRole('button', { name: 'Save story' }).click();
  await page.waitForURL(/#\/story\/[0-9a-f-]{36}$/);

  for (const [n, seed] of [
    [2, 7],
    [3, 11],
  ] as const) {
    await page.getByRole('button', { name: new RegExp(`^Panel ${n}\\b`) }).click();
    await generate(page, seed);
  }
  await page.getByTestId('board-thumb').nth(1).waitFor();
  await page.getByTestId('story-board').screenshot({ path: path.join(OUT, 'board.png') });
  await page.getByRole('button', { name: /^Panel 3\b/ }).click();
  await page.getByTestId('region-picture').waitFor();
  await page.screenshot({ path: path.join(OUT, 'workspace.png') });
  await page.getByTestId('read-link').click();
  await page.getByTestId('reader-page').first().waitFor();
  await page
    .getByTestId('reader-page')
    .first()
    .screenshot({ path: path.join(OUT, 'reader.png') });
  console.log(`Wrote board.png, workspace.png and reader.png in ${OUT}.`);
});
