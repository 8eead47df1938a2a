/**
 * Picking a character in the panel's cast picker (a combobox), as an artist does: type the name, click
 * the match. Types only from Playwright, so the benches and the screenshot script can use it too.
 */
import type { Page } from '@playwright/test';

export async function pickCharacter(page: Page, name: string): Promise<void> {
  await page.getByLabel('Character to add').fill(name);
  await page.getByRole('option', { name, exact: true }).click();
}
