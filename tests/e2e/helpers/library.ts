/** Making characters and stories through the studio's own forms, as an artist does. */
import type { Page } from '@playwright/test';
import { expect } from './studio';
import { makePng } from './png';
import { pickCharacter } from './cast';

export { pickCharacter };

export async function createCharacter(page: Page, name: string, seed: number, hair = 'red'): Promise<void> {
  await page.goto('/#/character/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Hair', { exact: true }).fill(hair);
  await page
    .getByLabel('Add reference images')
    .setInputFiles({ name: `${name}.png`, mimeType: 'image/png', buffer: makePng(48, 64, seed) });
  await expect(page.getByTestId('template-image')).toHaveCount(1);
  await page.getByLabel('Verified template').check();
  await page.getByRole('button', { name: 'Save character' }).click();
  await expect(page.getByTestId('form-status')).toHaveText(`Saved ${name}.`);
}

/** A story whose panels hold these casts (one panel per entry); returns its id. */
export async function createStory(page: Page, title: string, panels: string[][]): Promise<string> {
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill(title);
  for (const [i, names] of panels.entries()) {
    if (i > 0) await page.getByRole('button', { name: 'Add panel' }).click();
    for (const name of names) {
      await pickCharacter(page, name);
      await page.getByRole('button', { name: 'Add to panel' }).click();
    }
    await page.getByLabel('Location').fill('the harbour wall');
  }
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-status')).toContainText(`Saved ${title}`);
  await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}

/** One panel of a story made with dialogue: its cast (by name), caption and lines. */
export interface PanelPlan {
  cast: string[];
  caption?: string;
  lines: [speaker: string, text: string][];
}

/** Six panels, two characters (Mira and Bo), seven lines and two captions. */
export const HARBOUR_PANELS: PanelPlan[] = [
  { cast: ['Mira', 'Bo'], caption: 'The harbour, before dawn.', lines: [['Mira', 'Do you hear the bells?']] },
  { cast: ['Mira'], lines: [['Mira', 'Someone rang them. Nobody lives out there any more.']] },
  { cast: ['Bo'], lines: [['Bo', 'Then who is on the lighthouse?']] },
  {
    cast: ['Mira', 'Bo'],
    lines: [
      ['Bo', 'We should wait for the tide.'],
      ['Mira', 'No. We go now.'],
    ],
  },
  { cast: ['Bo', 'Mira'], lines: [['Bo', 'Hold the lantern higher!']] },
  { cast: ['Mira', 'Bo'], caption: 'The light went out.', lines: [['Mira', 'Bo?']] },
];

/** A story with these panels, cast and dialogue typed into the story editor; returns its id. */
export async function createDialogueStory(page: Page, title: string, panels: PanelPlan[]): Promise<string> {
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill(title);
  for (const [i, plan] of panels.entries()) {
    if (i > 0) await page.getByRole('button', { name: 'Add panel' }).click();
    for (const name of plan.cast) {
      await pickCharacter(page, name);
      await page.getByRole('button', { name: 'Add to panel' }).click();
    }
    await page.getByLabel('Location').fill('the harbour wall');
    if (plan.caption) await page.getByLabel('Caption', { exact: true }).fill(plan.caption);
    for (const [j, [speaker, text]] of plan.lines.entries()) {
      await page.getByRole('button', { name: 'Add line' }).click();
      await page.getByLabel(`Speaker of line ${j + 1}`).selectOption({ label: speaker });
      await page.getByLabel(`Line ${j + 1}`, { exact: true }).fill(text);
    }
  }
  await page.getByRole('button', { name: 'Save story' }).click();
  await expect(page.getByTestId('form-status')).toContainText(`Saved ${title}`);
  await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop()!;
}

/** Generation steps and the gate's attempt budget, through the Settings screen. */
export async function setBudget(page: Page, steps: number, maxAttempts: number): Promise<void> {
  await page.goto('/#/settings');
  await page.getByLabel('Steps').fill(String(steps));
  await page.getByLabel('Max attempts per panel').fill(String(maxAttempts));
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('form-status')).toHaveText('Settings saved.');
}
